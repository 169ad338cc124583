/* swag-style: neural style transfer with SWAG-smoothed activations.
 *
 * The public interface of the engine: the only header the command line, the
 * GIMP plug-in and the dialog include. It knows nothing of GIMP or GTK.
 *
 * Conventions: every failure is a GError in the SWAG_ERROR domain; library
 * code never exits, aborts or prints. Strings in SwagParams are borrowed: the
 * caller keeps them alive for the duration of each call that takes the params.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_H
#define SWAG_H

#include <glib.h>

G_BEGIN_DECLS

const char *swag_version (void);

/* ---------------------------------------------------------------- errors -- */

#define SWAG_ERROR (swag_error_quark ())
GQuark swag_error_quark (void);

typedef enum
{
  SWAG_ERROR_INVALID,   /* bad image, setting or argument */
  SWAG_ERROR_WEIGHTS,   /* weight file missing, unreadable, malformed, mismatched */
  SWAG_ERROR_NO_MEMORY, /* the run does not fit, or an allocation failed */
  SWAG_ERROR_CANCELLED, /* the progress callback returned FALSE */
  SWAG_ERROR_NUMERIC    /* NaN or Inf that could not be recovered from */
} SwagErrorCode;

/* --------------------------------------------------------------- choices -- */

/* Each choice is an enum whose values index a NULL-terminated list of the
 * names used on the command line, in Script-Fu and in the report. */
typedef enum
{
  SWAG_BACKBONE_MULTISCALE,    /* one layer of random kernels, 3 to 55 px:
                                  the default (docs/study) */
  SWAG_BACKBONE_VGG19,
  SWAG_BACKBONE_RESNET50,
  SWAG_BACKBONE_NORESNET50,
  SWAG_BACKBONE_PSEUDO_VGG,
  SWAG_BACKBONE_PSEUDO_RESVGG
} SwagBackbone;

typedef enum
{
  SWAG_POOLING_MAX,
  SWAG_POOLING_AVG
} SwagPooling;

typedef enum
{
  SWAG_SMOOTHING_NONE,
  SWAG_SMOOTHING_SOFTMAX,         /* softmax over all elements of a layer */
  SWAG_SMOOTHING_CHANNEL_SOFTMAX, /* softmax over channels at each position */
  SWAG_SMOOTHING_SCALE,           /* multiply by alpha */
  SWAG_SMOOTHING_AUTO             /* softmax, T = temperature x the layer's
                                     spread on the style */
} SwagSmoothing;

typedef enum
{
  SWAG_OPTIMIZER_LBFGS,
  SWAG_OPTIMIZER_ADAM
} SwagOptimizer;

typedef enum
{
  SWAG_INIT_CONTENT,
  SWAG_INIT_NOISE,
  SWAG_INIT_STYLE_NOISE
} SwagInit;

/* The style term: what of the style's features the picture must match. */
typedef enum
{
  SWAG_STYLE_LOSS_GRAM,   /* Gram matrices of the taps (Gatys et al.) */
  SWAG_STYLE_LOSS_PATCH   /* nearest style patches (Li and Wand) */
} SwagStyleLoss;

/* The choices older code names (the engine's messages, the tests): a
 * shortcut to the settings' names (SwagSetting.choices) and the presets'.
 * A new choice setting needs no value here. */
typedef enum
{
  SWAG_CHOICE_BACKBONE,
  SWAG_CHOICE_POOLING,
  SWAG_CHOICE_SMOOTHING,
  SWAG_CHOICE_OPTIMIZER,
  SWAG_CHOICE_INIT,
  SWAG_CHOICE_PRESET
} SwagChoice;

/* NULL-terminated list of the names of a choice; index i names enum value i. */
const char *const *swag_choice_names (SwagChoice choice);

/* The enum value named @name, or -1 with an error that lists the valid names. */
int swag_choice_parse (SwagChoice choice, const char *name, GError **error);

/* ---------------------------------------------------------------- images -- */

/* A plain pixel holder: (height, width, 4) R'G'B'A float, perceptual (sRGB
 * transfer curve) values, straight (not premultiplied) alpha, RGB nominally in
 * [0, 1]. */
typedef struct
{
  int    width;
  int    height;
  float *data;
} SwagImage;

/* NULL with SWAG_ERROR_INVALID for a non-positive size, SWAG_ERROR_NO_MEMORY
 * when the size overflows or cannot be allocated. Pixels are zeroed. */
SwagImage *swag_image_new  (int width, int height, GError **error);
SwagImage *swag_image_copy (const SwagImage *image, GError **error);
void       swag_image_free (SwagImage *image);

/* 8-bit values as the command line and the plug-in read and write them:
 * k / 255 in double, then float; v * 255 + 0.5 truncated, clamped, NaN to
 * 0. One definition, so that both give the same pixels. */
float      swag_u8_to_float (guint8 k);
guint8     swag_float_to_u8 (float v);

/* The size with the aspect ratio of @width x @height whose longest side is
 * @longest (the other side rounded, at least 1): swag_scale_size shrinks
 * and enlarges, swag_fit_size only shrinks (a size already no larger is
 * kept). The one rule for every size the engine, the plug-in and its
 * dialog derive. */
void       swag_scale_size  (int width, int height, int longest,
                             int *w, int *h);
void       swag_fit_size    (int width, int height, int longest,
                             int *w, int *h);

/* ---------------------------------------------------------------- params -- */

typedef struct
{
  /* The network (swag_net_new). */
  SwagBackbone        backbone;
  SwagPooling         pooling;     /* 2x2 pools of VGG-19 and the pseudo nets */
  const char         *weights;     /* "random", "pretrained", or a file path */
  const char *const  *weight_dirs; /* extra folders searched first for
                                      "pretrained" (NULL-terminated) or NULL */
  guint64             seed;        /* random weights and noise */

  /* Losses. Layer lists are comma-separated tap names; NULL means the
   * backbone's default. */
  const char         *style_layers;
  const char         *content_layers;
  SwagSmoothing       smoothing;
  const char         *smooth_layers;
  double              temperature;    /* softmax modes; for auto, a factor
                                         on each layer's spread */
  double              alpha;          /* scale mode */
  double              style_strength; /* normalised style against content */
  double              style_weight;   /* raw (unnormalised) weights: used    */
  double              content_weight; /* instead when either is > 0          */
  double              tv_weight;
  SwagStyleLoss       style_loss;     /* Gram matrices or patches */

  /* Optimisation. */
  int                 iterations;     /* loss evaluations over all scales */
  int                 size;           /* longest side of the optimisation */
  int                 scales;         /* coarse-to-fine scales, 1 = single */
  SwagOptimizer       optimizer;
  int                 lbfgs_history;
  double              learning_rate;  /* Adam, in image units */
  SwagInit            init;

  /* Colour and style image. */
  gboolean            preserve_colors;
  gboolean            match_histogram;
  double              style_scale;

  /* Reporting and resources. */
  int                 preview_every;  /* hand the image to the callback every N
                                         evaluations; 0 = never */
  guint64             memory_limit;   /* bytes; 0 = the memory available */
} SwagParams;

void     swag_params_init_defaults (SwagParams *params);

/* Applies preset @preset (swag_preset_setting): resets the settings marked
 * SWAG_SETTING_PRESET_RESET, then sets those it names. The front ends'
 * order (README): the defaults, then the preset, then the settings given. */
gboolean swag_params_apply_preset  (SwagParams  *params,
                                    const char  *preset,
                                    GError     **error);

/* Checks every setting against the table (ranges, choices) and the tap
 * lists against the backbone. */
gboolean swag_params_validate      (const SwagParams *params,
                                    GError          **error);

/* Every setting and the version as one JSON object (the report's "settings"
 * and the GIMP parasite). Free with g_free. */
char    *swag_params_to_json       (const SwagParams *params);

/* The tap lists a run uses: the params' own, else the backbone's defaults;
 * with raw weights (the paper presets) the default content layer of VGG-19
 * and ResNet-50 is the paper's (relu4_2, conv3_5; the multi-scale network
 * keeps its own). */
const char *swag_params_style_layers   (const SwagParams *params);
const char *swag_params_content_layers (const SwagParams *params);
const char *swag_params_smooth_layers  (const SwagParams *params);

/* The backbone's default tap lists, comma-separated (static strings). */
const char *swag_default_style_layers   (SwagBackbone backbone);
const char *swag_default_content_layers (SwagBackbone backbone);
const char *swag_default_smooth_layers  (SwagBackbone backbone);

/* -------------------------------------------------------------- settings -- */

/* The table of settings (engine/swag-params.c): one entry per field of
 * SwagParams that a user sets. The defaults, the presets, validation and
 * the JSON form here, swag-transfer's options and --help, the procedure's
 * arguments and the dialog's controls are all derived from it, in its
 * order; engine/README.md says how to add a setting. */

typedef enum
{
  SWAG_SETTING_INT,     /* int, min..max */
  SWAG_SETTING_DOUBLE,  /* double, finite, min..max */
  SWAG_SETTING_BOOLEAN, /* gboolean */
  SWAG_SETTING_CHOICE,  /* an enum of this header: the index of a name in
                           .choices */
  SWAG_SETTING_SEED,    /* guint64, any value; text may be negative (taken
                           modulo 2^64, as the JSON writes seeds back) */
  SWAG_SETTING_FILE,    /* const char *: a word of .choices, or a file */
  SWAG_SETTING_TAPS     /* const char *: comma-separated taps; NULL: the
                           backbone's (.taps_in_use says which) */
} SwagSettingType;

typedef enum
{
  SWAG_SETTING_MAIN         = 1 << 0, /* on the dialog's first page */
  SWAG_SETTING_NO_DIALOG    = 1 << 1, /* an argument and a flag only */
  SWAG_SETTING_NOT_EMPTY    = 1 << 2, /* TAPS: an empty list is refused */
  SWAG_SETTING_PRESET_RESET = 1 << 3  /* every preset resets it */
} SwagSettingFlags;

/* Settings that belong together: the dialog's sections, the reference's
 * order. */
typedef enum
{
  SWAG_GROUP_NETWORK,
  SWAG_GROUP_SMOOTHING,
  SWAG_GROUP_LOSSES,
  SWAG_GROUP_OPTIMISATION,
  SWAG_GROUP_COLOURS,
  SWAG_N_GROUPS
} SwagGroup;

typedef struct
{
  const char        *name;          /* --NAME, the Script-Fu argument, the
                                       JSON key */
  SwagSettingType    type;
  gsize              offset;        /* of its field in SwagParams */
  double             def;           /* default: INT, DOUBLE, BOOLEAN,
                                       CHOICE, SEED */
  const char        *def_string;    /* default: FILE (TAPS: NULL) */
  double             min, max;      /* INT, DOUBLE: the inclusive range */
  const char *const *choices;       /* CHOICE, FILE: NULL-terminated */
  const char *const *choice_labels; /* the same for people: N_() */
  const char *     (*taps_in_use) (const SwagParams *params); /* TAPS */
  SwagGroup          group;
  guint              flags;         /* SwagSettingFlags */
  const char        *label;         /* N_(): the dialog's, with a mnemonic */
  const char        *help;          /* N_(): --help, the procedure's blurb */
  const char        *metavar;       /* N_(): --help's name of the value */
} SwagSetting;

/* The table, @n entries. */
const SwagSetting *swag_settings       (int *n);

/* The entry called @name, or NULL. */
const SwagSetting *swag_setting_find   (const char *name);

/* The presets as a CHOICE entry (.offset unused): names, labels, help. */
const SwagSetting *swag_preset_setting (void);

/* What preset @index sets, in swag_setting_parse's words: "NAME=VALUE"
 * separated by spaces, a bare NAME for its default. */
const char        *swag_preset_values  (int index);

/* A group's title, marked N_() like the entries' texts: _() translates. */
const char        *swag_group_title    (SwagGroup group);

/* The field of @setting in @params, to be written as its type says (an
 * int for INT, CHOICE and BOOLEAN, a double, a guint64, a const char *). */
gpointer  swag_setting_field   (const SwagSetting *setting,
                                SwagParams        *params);

/* Sets the field from @text: numbers in the C locale, choices by name,
 * booleans as true or false, strings borrowed from @text. FALSE with an
 * error (without the setting's name) when @text is no such value; ranges
 * are swag_params_validate's to check. */
gboolean  swag_setting_parse   (const SwagSetting *setting,
                                SwagParams        *params,
                                const char        *text,
                                GError           **error);

/* The field's value as text that swag_setting_parse reads back (TAPS: the
 * list in use, FILE: its default when unset). Free with g_free. */
char     *swag_setting_to_string (const SwagSetting *setting,
                                  const SwagParams  *params);

/* @v as @setting's type writes it: "%d" for INT, the shortest text that
 * reads back as @v for DOUBLE. For ranges in messages and help. */
char     *swag_setting_format  (const SwagSetting *setting,
                                double             v);

/* ------------------------------------------------------------ networks -- */

typedef struct _SwagNet SwagNet;

/* Builds params->backbone with params->weights: seeded random weights,
 * pre-trained weights looked up by name, or a .safetensors file. The network
 * is immutable afterwards and may be shared by concurrent transfers. */
SwagNet      *swag_net_new      (const SwagParams *params, GError **error);
void          swag_net_free     (SwagNet *net);
SwagBackbone  swag_net_backbone (const SwagNet *net);

/* TRUE when @net was built with the backbone, pooling, weights and seed of
 * @params, so that a batch can reuse it. */
gboolean      swag_net_matches  (const SwagNet *net, const SwagParams *params);

/* The path of the pre-trained weights for @backbone: @extra_dirs first, then
 * $XDG_DATA_HOME and $XDG_DATA_DIRS under swag-style/weights/. The error names
 * every folder searched and the file name expected. Free with g_free. */
char *swag_weights_find (SwagBackbone        backbone,
                         const char *const  *extra_dirs,
                         GError            **error);

/* File name looked up for @backbone, e.g. "vgg19.safetensors" (static). */
const char *swag_weights_file_name (SwagBackbone backbone);

/* ------------------------------------------------------------ transfer -- */

typedef enum
{
  SWAG_PROGRESS_EVALUATION, /* a loss evaluation finished */
  SWAG_PROGRESS_LAYER,      /* a network layer finished (cancel point) */
  SWAG_PROGRESS_MESSAGE     /* a note for the user in .message */
} SwagProgressKind;

typedef struct
{
  const char *name;    /* tap name */
  double      content; /* raw content term, or NAN where the tap has none */
  double      style;   /* raw style term, or NAN where the tap has none */
} SwagLayerLoss;

typedef struct
{
  SwagProgressKind     kind;
  int                  scale;            /* 0-based */
  int                  n_scales;
  int                  width, height;    /* size at this scale */
  int                  iteration;        /* evaluations so far, from 0 */
  int                  total_iterations;
  double               total;            /* objective the optimiser sees */
  const SwagLayerLoss *layers;           /* EVALUATION only */
  int                  n_layers;
  const SwagImage     *image;            /* every preview_every evaluations,
                                            else NULL; borrowed */
  const char          *message;          /* MESSAGE only */
  double               elapsed;          /* seconds since the run started */
} SwagProgress;

/* Return FALSE to cancel. Called on the thread that runs the transfer. */
typedef gboolean (*SwagProgressFunc) (const SwagProgress *progress,
                                      gpointer            user_data);

/* Stylises @content with @styles (n_styles >= 1, blended by @style_blend,
 * NULL = equal shares). Returns a new image of the content's size whose alpha
 * is the content's. On cancel: NULL, SWAG_ERROR_CANCELLED, and, when @partial
 * is not NULL, the best image so far (full size) in *partial. */
SwagImage *swag_transfer_run (SwagNet                *net,
                              const SwagImage        *content,
                              const SwagImage *const *styles,
                              const double           *style_blend,
                              int                     n_styles,
                              const SwagParams       *params,
                              SwagProgressFunc        progress,
                              gpointer                user_data,
                              SwagImage             **partial,
                              GError                **error);

/* The checks of swag_transfer_run that need neither the network's weights
 * nor the content's pixels, with the same messages: the content's size
 * and each style's against what the network of @params needs, and a style
 * without an opaque pixel. Quick (the network's shape only): a front end
 * calls it before swag_net_new and before reading the content. */
gboolean swag_transfer_check_inputs (const SwagParams       *params,
                                     int                     content_width,
                                     int                     content_height,
                                     const SwagImage *const *styles,
                                     int                     n_styles,
                                     GError                **error);

typedef struct
{
  guint64 peak_bytes;    /* peak memory of the run */
  guint64 available;     /* the limit it was compared with */
  double  gflop;         /* work of the whole run */
  double  seconds;       /* rough time on this machine */
  int     fitting_size;  /* largest working size that fits (<= params->size) */
  int     lbfgs_history; /* history the run will use */
} SwagEstimate;

/* The image of @images with the most pixels, the first of equals: the style
 * size swag_transfer_estimate takes when there are several. NULL when @n is 0
 * (or less), and then @images may be NULL. */
const SwagImage *swag_largest_image (const SwagImage *const *images, int n);

/* Predicts the cost of a run without doing it; with several styles, pass the
 * largest style's size (swag_largest_image). FALSE with SWAG_ERROR_NO_MEMORY (and *estimate
 * filled, fitting_size included) when it would not fit, SWAG_ERROR_INVALID
 * when the content is too small for the network. */
gboolean swag_transfer_estimate (const SwagParams *params,
                                 int               content_width,
                                 int               content_height,
                                 int               style_width,
                                 int               style_height,
                                 SwagEstimate     *estimate,
                                 GError          **error);

/* --------------------------------------------------------- diagnostics -- */

typedef struct
{
  char   name[32];
  int    channels, height, width;
  double max_activation; /* after smoothing */
  double max_gram;
  double gram_entropy;   /* entropy of G/sum(G) over log(C*C) */
  double temperature;    /* softmax temperature used, or 0 */
} SwagTapStats;

/* Statistics of every style and content tap of @params for @image at the
 * working size. For smoothing "auto" the temperatures come from
 * @temperature_source (NULL = @image). Returns n_taps entries; g_free. */
SwagTapStats *swag_diagnose (SwagNet          *net,
                             const SwagImage  *image,
                             const SwagImage  *temperature_source,
                             const SwagParams *params,
                             int              *n_taps,
                             GError          **error);

/* ------------------------------------------------------------- threads -- */

/* Process-wide (OpenBLAS's thread count is): the front end calls it once,
 * before any network runs. n <= 0 means the number of cores. */
void swag_set_threads (int n);
int  swag_get_threads (void);

G_END_DECLS

#endif /* SWAG_H */
