; swag-batch: stylise every file that matches a pattern with one painting,
; through the SWAG Style Transfer plug-in, in GIMP 3's batch mode.
;
;   gimp-console-3.0 -i --quit --batch-interpreter plug-in-script-fu-eval \
;     -b '(begin (load "docs/examples/swag-batch.scm")
;                (swag-batch "/photos/*.jpg" "/paintings/scream.jpg" "/photos/styled"))'
;
; writes /photos/styled/NAME-swag.png for each /photos/NAME.jpg (the output
; folder must exist). One -b: each -b runs in a fresh interpreter. Settings are the plug-in's defaults; add named
; arguments to the call below (#:iterations 500, #:style-strength 20.0, ...).
; GPL-3.0-or-later.

(define (swag-batch pattern style-file out-dir)
  (let* ((style-image (car (gimp-file-load RUN-NONINTERACTIVE style-file)))
         (style (vector-ref (car (gimp-image-get-layers style-image)) 0)))
    (for-each
      (lambda (file)
        (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE file)))
               (layer (vector-ref (car (gimp-image-get-layers image)) 0))
               (name (car (reverse (strbreakup file "/"))))
               (parts (strbreakup name "."))
               (base (if (> (length parts) 1)
                         (unbreakupstr (reverse (cdr (reverse parts))) ".")
                         name))
               (out (string-append out-dir "/" base "-swag.png")))
          (plug-in-swag-style-transfer #:run-mode RUN-NONINTERACTIVE
                                       #:image image
                                       #:drawables (vector layer)
                                       #:style-layer style)
          (gimp-file-save RUN-NONINTERACTIVE image out -1)
          (gimp-image-delete image)
          (gimp-message (string-append "swag-batch: wrote " out))))
      (car (file-glob pattern 0)))
    (gimp-image-delete style-image)))
