; Inputs the plug-in can refuse without the network are refused before any
; work (before the network is built and before the content's pixels are
; read), also on a 4000x3000 picture: a 1x1 style layer, a fully
; transparent style layer, a layer group, an indexed image, a content layer
; too small for the network. Each call is timed (gettimeofday) and compared
; with a call refused at the plug-in's first step (no style layer), which
; costs what every call costs (starting the plug-in, GEGL): the refusal may
; take at most half a second more, and a second in all; in a sanitized
; build, where everything is slower and LeakSanitizer checks each run at
; its end, a second more and 3 s in all (measured: 0.69 s baseline,
; 0.78-0.90 s for the refusals). Measured in a plain build before the
; checks moved: a 1x1 style 3.55 s, a transparent one 3.19 s (0.31 s
; baseline); after: 0.22 and 0.21 s (0.20 s baseline).
(define sanitized (not (string=? swag-sanitize "none")))
(define extra-limit (if sanitized 1.0 0.5))
(define total-limit (if sanitized 3.0 1.0))

(define (now)
  (let ((t (gettimeofday)))
    (+ (car t) (/ (cadr t) 1000000.0))))

(define (new-layer img name w h type)
  (let ((layer (car (gimp-layer-new img name w h type 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer 0 -1)
    layer))

; The picture: 4000x3000, not uniform (a gradient).
(define img (car (gimp-image-new 4000 3000 RGB)))
(define content (new-layer img "Big" 4000 3000 RGB-IMAGE))
(gimp-context-set-foreground '(200 40 20))
(gimp-context-set-background '(20 60 220))
(gimp-drawable-edit-gradient-fill content GRADIENT-LINEAR 0 FALSE 1 0.0 TRUE
                                  0 0 4000 3000)
(define style (load-layer img "painting.png" -1))
(define tiny (new-layer img "Tiny" 1 1 RGB-IMAGE))
(gimp-drawable-fill tiny FILL-WHITE)
(define clear (new-layer img "Clear" 48 40 RGBA-IMAGE))
(gimp-drawable-fill clear FILL-TRANSPARENT)
(define small (new-layer img "Small" 15 15 RGB-IMAGE))
(gimp-drawable-fill small FILL-WHITE)
(define group (car (gimp-group-layer-new img "Group")))
(gimp-image-insert-layer img group 0 -1)
(define inner (car (gimp-layer-new img "Inner" 4000 3000 RGB-IMAGE 100
                                   LAYER-MODE-NORMAL)))
(gimp-image-insert-layer img inner group 0)
(gimp-drawable-fill inner FILL-WHITE)
(for-each (lambda (layer) (gimp-item-set-visible layer FALSE))
          (list style tiny clear small group))

(define layers-before (image-layers img))
(gimp-image-clean-all img)

; Calls the plug-in with @args; the call must fail with a message holding
; every needle. Returns the seconds it took.
(define (timed-refusal what image needles . args)
  (let ((start (now)))
    (expect-error what
                  (lambda ()
                    (apply plug-in-swag-style-transfer
                           (append (list #:run-mode RUN-NONINTERACTIVE
                                         #:image image
                                         #:iterations swag-iterations)
                                   args)))
                  needles)
    (- (now) start)))

; What every call costs: refused at the plug-in's first step. The
; quickest of three (the first start of a program takes longer).
(define baseline
  (let loop ((k 0) (best 1000.0))
    (if (= k 3)
        best
        (loop (+ k 1)
              (min best
                   (timed-refusal "the baseline (no style layer)" img
                                  '("style-layer")
                                  #:drawables (vector content)))))))
(display "   baseline: ") (display baseline) (display " s") (newline)

(define (quick what image needles . args)
  (let ((seconds (apply timed-refusal what image needles args)))
    (display "   ") (display what) (display ": ") (display seconds)
    (display " s (") (display (- seconds baseline)) (display " s more than the baseline)")
    (newline)
    (check (string-append what ": refused within " (number->string extra-limit)
                          " s of the baseline")
           (< (- seconds baseline) extra-limit)
           'seconds seconds 'baseline baseline)
    (check (string-append what ": refused within " (number->string total-limit)
                          " s")
           (< seconds total-limit) 'seconds seconds)
    (check-image-unchanged what img layers-before)))

(quick "a 1x1 style layer on 4000x3000" img
       '("Cannot stylise \"Big\"" "The style image is 1" "pixels on each side")
       #:drawables (vector content) #:style-layer tiny)
(quick "a fully transparent style layer on 4000x3000" img
       '("Cannot stylise \"Big\"" "fully transparent")
       #:drawables (vector content) #:style-layer clear)
(quick "a 15x15 content layer" img
       '("Cannot stylise \"Small\"" "15×15" "at least 16")
       #:drawables (vector small) #:style-layer style)
(quick "a layer group of 4000x3000" img '("\"Group\"" "layer group")
       #:drawables (vector group) #:style-layer style)

; The same picture as an indexed image.
(define indexed (car (gimp-image-new 4000 3000 RGB)))
(gimp-drawable-edit-gradient-fill (new-layer indexed "Big" 4000 3000 RGB-IMAGE)
                                  GRADIENT-LINEAR 0 FALSE 1 0.0 TRUE
                                  0 0 4000 3000)
(gimp-image-convert-indexed indexed CONVERT-DITHER-NONE
                            CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
(gimp-image-clean-all indexed)
(define indexed-layers (image-layers indexed))
(let ((seconds (timed-refusal "an indexed 4000x3000 image" indexed '("Indexed")
                              #:drawables (vector (car indexed-layers))
                              #:style-layer style)))
  (display "   an indexed 4000x3000 image: ") (display seconds) (display " s")
  (newline)
  (check "an indexed 4000x3000 image: refused within the limits"
         (and (< (- seconds baseline) extra-limit) (< seconds total-limit))
         'seconds seconds 'baseline baseline)
  (check-equal "an indexed image: the layers are unchanged"
               (image-layers indexed) indexed-layers)
  (check "an indexed image: the image is not dirty"
         (= (car (gimp-image-is-dirty indexed)) 0)))

(swag-done)
