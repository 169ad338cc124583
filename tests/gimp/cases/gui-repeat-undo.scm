; In GIMP with its interface (under Xvfb, gui-session.sh at the keyboard):
; the plug-in's dialog (OK pressed), then Filters > Repeat (run with the
; last values, the style layer included), then Edit > Undo twice: each undo
; removes one whole result (layer, mask, parasite) in one step.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)
(gimp-display-new img)
(gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12 10 20 16)
(gimp-image-set-selected-layers img (vector content))
(define layers-before (image-layers img))

; Small settings, and the style layer as the plug-in remembers it (layer
; arguments are not saved with the last values).
(write-last-values
  (list (string-append "(iterations " (number->string swag-iterations) ")")
        (string-append "(size " (number->string swag-size) ")")
        (string-append "(last-style-layer \"" (number->string style) ":"
                       (layer-name style) "\")")))

(define first-result
  (car (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                                    #:image img
                                    #:drawables (vector content))))
(check-result-layer img first-result content style)
(check "the dialog's run is masked by the selection" (has-mask? first-result))

(define repeated
  (car (plug-in-swag-style-transfer #:run-mode RUN-WITH-LAST-VALS
                                    #:image img
                                    #:drawables (vector content))))
(check-result-layer img repeated content style)
(check "Repeat made another layer" (not (= repeated first-result)))
(check-equal "Repeat used the dialog's settings"
             (settings-parasite repeated) (settings-parasite first-result))
(check "the repeated run is masked by the selection" (has-mask? repeated))
(export-layer first-result "first")
(export-layer repeated "repeated")

(check "one undo removes the repeated run's layer"
       (press-undo 1 (lambda ()
                       (= (car (gimp-item-id-is-valid repeated)) 0))))
(check-equal "one undo removes exactly the repeated run"
             (image-layers img) (cons first-result layers-before))
(check "the dialog's result keeps its mask" (has-mask? first-result))
(check "the dialog's result keeps its settings"
       (settings-parasite first-result))

(check "a second undo removes the dialog's result"
       (press-undo 2 (lambda ()
                       (= (car (gimp-item-id-is-valid first-result)) 0))))
(check-equal "after two undos the image has its layers of before"
             (image-layers img) layers-before)
(swag-done)
