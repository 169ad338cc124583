; The style layer belongs to another image of another size; that image is
; left as it was.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style-img (load-image "painting-wide.png"))
(define style (first-layer style-img))
(gimp-image-clean-all style-img)

(define result (stylise img (list content) style))

(check-result-layer img result content style)
(check-equal "the new layer is in the content's image"
             (car (gimp-item-get-image result)) img)
(check-equal "the style image keeps its one layer"
             (image-layers style-img) (list style))
(check "the style image is not dirty"
       (= (car (gimp-image-is-dirty style-img)) 0))
(export-layer content "content")
(export-layer result "result")
(swag-done)
