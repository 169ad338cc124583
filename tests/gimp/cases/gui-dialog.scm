; The dialog and its live preview, in GIMP with its interface (under Xvfb;
; gui-dialog.session.sh plays the user): the bundled photograph with the
; bundled painting, from another image, as the style. The first dialog is
; cancelled while its preview runs: the image stays as it was. The second
; opens with the preview running; the session takes a picture, raises the
; style strength (the preview starts again), takes another picture a few
; seconds later and presses OK; the run then makes the new layer with the
; dialog's settings. The pictures, the mnemonics, the preview's restart
; and the main loop's stall are checked in gui-dialog.check.

(define img (sample "chelsea.png"))
(define content (first-layer img))
(define style-img (sample "the_scream.jpg"))
(define style (first-layer style-img))
(gimp-display-new img)
(gimp-image-set-selected-layers img (vector content))

; Enough evaluations for the preview to run a while, few enough for the
; run after OK to be quick; the style layer as the plug-in remembers it.
(write-last-values
  (list "(iterations 30)"
        "(size 160)"
        (string-append "(last-style-layer \"" (number->string style) ":"
                       (layer-name style) "\")")))

(define (run-dialog)
  (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                               #:image img
                               #:drawables (vector content)))

(define layers-before (image-layers img))
(define dirty-before (car (gimp-image-is-dirty img)))
; Script-Fu hands back no layer (#f) for a cancelled call.
(define cancelled (swag-try run-dialog))
(check "Cancel in the dialog ends the call without a result"
       (or (eq? cancelled 'failed) (not (car cancelled))) 'got cancelled)
(check-equal "Cancel leaves the image's layers as they were"
             (image-layers img) layers-before)
(check-equal "Cancel leaves the image as clean or dirty as it was"
             (car (gimp-image-is-dirty img)) dirty-before)

(define result (car (run-dialog)))
(check-result-layer img result content style)
(check "the dialog's run used the dialog's iterations"
       (string-contains? (settings-parasite result) "\"iterations\": 30")
       'settings (settings-parasite result))
(check "the dialog's run used the style strength raised in the dialog"
       (string-contains? (settings-parasite result) "\"style-strength\": 10.5")
       'settings (settings-parasite result))
(export-layer content "content")
(export-layer result "result")
(swag-done)
