; The dialog and its live preview, in GIMP with its interface (under Xvfb;
; gui-dialog.session.sh plays the user): the bundled photograph with the
; bundled painting, from another image, as the style. The dialog opens with
; the preview running; the session takes two pictures of it a few seconds
; apart and presses OK; the run then makes the new layer (the pictures,
; the mnemonics and the main loop's stall are checked in gui-dialog.check).
(define (sample name)
  (car (gimp-file-load RUN-NONINTERACTIVE (string-append swag-out "/" name))))

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

(define result
  (car (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                                    #:image img
                                    #:drawables (vector content))))
(check-result-layer img result content style)
(check "the dialog's run used the dialog's settings"
       (string-contains? (settings-parasite result) "\"iterations\":30"))
(export-layer content "content")
(export-layer result "result")
(swag-done)
