; An RGB photograph stylised with a painting: a new layer above it whose
; pixels differ from the photograph's; the photograph's layer is untouched.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)

(export-layer content "content-before")
(export-visible img "visible-before")

(define result (stylise img (list content) style))

(check-result-layer img result content style)
(check-equal "the image has one layer more" (length (image-layers img)) 3)
(check "no mask without a selection" (not (has-mask? result)))
(check-equal "the new layer is selected" (selected-layers img) (list result))

(export-layer content "content-after")
(export-layer result "result")
(export-visible img "visible-after")
(swag-done)
