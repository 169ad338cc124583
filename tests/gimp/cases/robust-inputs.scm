; Bad inputs of issue 8 that bad-inputs.scm does not cover (see
; tests/robust/README.md for the whole matrix): a 10000x1 content layer, a
; content smaller than the network's reach, a style layer whose pixels are
; all transparent, weights for the other backbone, weights with a NaN, a
; weights file that does not exist and a negative weight. Each call fails
; with a message naming the problem, the image's layers stay as they were,
; the image is not dirtied, and GIMP goes on.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)

(define (new-layer name w h)
  (let ((layer (car (gimp-layer-new img name w h RGBA-IMAGE 100
                                    LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer 0 -1)
    (gimp-item-set-visible layer FALSE)
    layer))
(define wide (new-layer "Wide" 10000 1))
(define small (new-layer "Small" 15 15))
(gimp-drawable-fill small FILL-WHITE)
(define clear (new-layer "Clear" 48 40))
(gimp-drawable-fill clear FILL-TRANSPARENT)

(define layers-before (image-layers img))
(export-visible img "visible-before")
(gimp-image-clean-all img)

(define (unchanged what) (check-image-unchanged what img layers-before))

(define (bad what needles drawable style-layer . args)
  (expect-error what
                (lambda ()
                  (apply plug-in-swag-style-transfer
                         (append (list #:run-mode RUN-NONINTERACTIVE
                                       #:image img
                                       #:drawables (vector drawable)
                                       #:style-layer style-layer
                                       #:iterations swag-iterations
                                       #:size swag-size)
                                 args)))
                needles)
  (unchanged what))

(bad "a 10000x1 content layer" '("\"Wide\"" "too small") wide style)
(bad "a 15x15 content layer" '("\"Small\"" "15×15" "at least 16") small style)
(bad "a fully transparent style layer" '("fully transparent") content clear)
(bad "weights for ResNet-50 given to VGG-19"
     '("resnet.safetensors" "not a VGG-19 weights file")
     content style #:backbone "vgg19" #:weights "file"
     #:weights-file (input "resnet.safetensors"))
(bad "weights with a NaN" '("nan.safetensors" "NaN")
     content style #:backbone "vgg19" #:weights "file"
     #:weights-file (input "nan.safetensors"))
(bad "a weights file that does not exist" (quote ("weights-file"))
     content style #:weights "file"
     #:weights-file (input "nothere.safetensors"))
; An unknown choice ("vgg20") cannot be tested here: Script-Fu in GIMP
; 3.0.4 fails to set the property (a GLib-CRITICAL, "value "vgg20" ... is
; invalid or out of range for property 'backbone'") and calls the
; procedure with the default, which the plug-in cannot tell apart.
(bad "a negative style weight" '("out of range") content style
     #:style-weight -1.0)

(export-visible img "visible-after")
(swag-done)
