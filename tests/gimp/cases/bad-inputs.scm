; Bad inputs: each call fails with a clear message, leaves the image as it
; was, and GIMP carries on with the next one.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)
(define group (car (gimp-group-layer-new img "Group")))
(gimp-image-insert-layer img group 0 0)
(define small (load-layer img "photo.png" 0))
(gimp-layer-resize small 10 10 0 0)
(define tiny-img (car (gimp-image-new 1 1 RGB)))
(define tiny (car (gimp-layer-new tiny-img "Tiny" 1 1 RGB-IMAGE 100 LAYER-MODE-NORMAL)))
(gimp-image-insert-layer tiny-img tiny 0 0)

(define layers-before (image-layers img))
(export-visible img "visible-before")
(gimp-image-clean-all img)

(define (unchanged what) (check-image-unchanged what img layers-before))

(define (bad what needles . args)
  (expect-error what
                (lambda ()
                  (apply plug-in-swag-style-transfer
                         (append (list #:run-mode RUN-NONINTERACTIVE
                                       #:image img
                                       #:size swag-size)
                                 args)))
                needles)
  (unchanged what))

(bad "a layer group as content" '("\"Group\"" "layer group")
     #:drawables (vector group) #:style-layer style #:iterations swag-iterations)
(bad "a 1x1 style layer"
     (list (string-append "Cannot stylise \"" (layer-name content) "\"")
           "The style image is 1" "pixels on each side")
     #:drawables (vector content) #:style-layer tiny #:iterations swag-iterations)
(bad "iterations 0" '("out of range")
     #:drawables (vector content) #:style-layer style #:iterations 0)
(bad "pre-trained weights without a file"
     '("vgg19.safetensors" "swag-style/weights")
     #:drawables (vector content) #:style-layer style #:iterations swag-iterations
     #:backbone "vgg19" #:weights "pretrained")
(bad "weights from a file without a file" '("weights-file")
     #:drawables (vector content) #:style-layer style #:iterations swag-iterations
     #:weights "file")
(bad "no style layer" '("style-layer")
     #:drawables (vector content) #:iterations swag-iterations)

(gimp-image-select-rectangle img CHANNEL-OP-REPLACE 30 20 10 10)
(gimp-image-clean-all img)
(bad "a selection that misses the layer" '("selection does not touch")
     #:drawables (vector small) #:style-layer style #:iterations swag-iterations)
(gimp-selection-none img)
(gimp-image-clean-all img)

; Filters > Repeat with a fresh profile: no last values, so no style layer.
(expect-error "Repeat without last values"
              (lambda ()
                (plug-in-swag-style-transfer #:run-mode RUN-WITH-LAST-VALS
                                             #:image img
                                             #:drawables (vector content)))
              '("style-layer"))
(unchanged "Repeat without last values")

; The dialog without a display (gimp-console).
(expect-error "an interactive call without a display"
              (lambda ()
                (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                                             #:image img
                                             #:drawables (vector content)))
              '("display"))
(unchanged "an interactive call without a display")

; An indexed image.
(define indexed (load-image "photo.png"))
(gimp-image-convert-indexed indexed CONVERT-DITHER-NONE
                            CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
(define indexed-layers (image-layers indexed))
(gimp-image-clean-all indexed)
(expect-error "an indexed image"
              (lambda ()
                (stylise indexed indexed-layers style))
              '("Indexed"))
(check-equal "an indexed image: the layers are unchanged"
             (image-layers indexed) indexed-layers)
(check "an indexed image: the image is not dirty"
       (= (car (gimp-image-is-dirty indexed)) 0))

; A run that would not fit in memory: a 16384x16384 layer at a working
; size of 16384 is refused before any work (the layer's pixels are never
; read), with the size that would fit.
(define huge-img (car (gimp-image-new 16384 16384 RGB)))
(define huge (car (gimp-layer-new huge-img "Huge" 16384 16384 RGB-IMAGE 100
                                  LAYER-MODE-NORMAL)))
(gimp-image-insert-layer huge-img huge 0 0)
(gimp-image-clean-all huge-img)
(expect-error "a run too large for the memory"
              (lambda ()
                (plug-in-swag-style-transfer #:run-mode RUN-NONINTERACTIVE
                                             #:image huge-img
                                             #:drawables (vector huge)
                                             #:style-layer style
                                             #:size 16384
                                             #:scales 1))
              '("Cannot stylise \"Huge\"" "Not enough memory"
                "A working size of" "would fit"))
(check-equal "a run too large: the layers are unchanged"
             (image-layers huge-img) (list huge))
(check "a run too large: the image is not dirty"
       (= (car (gimp-image-is-dirty huge-img)) 0))
(gimp-image-delete huge-img)

(export-visible img "visible-after")
(swag-done)
