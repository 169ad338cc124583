; A grayscale image stylised with a colour painting from another image:
; stylised through RGB, written back as a gray layer.
(define img (load-image "photo.png"))
(gimp-image-convert-grayscale img)
(define content (first-layer img))
(define style-img (load-image "painting.png"))
(define style (first-layer style-img))

(define result (stylise img (list content) style))

(check-result-layer img result content style)
(check-equal "the new layer is gray" (car (gimp-drawable-type result)) GRAY-IMAGE)
(check-equal "the image is still grayscale" (car (gimp-image-get-base-type img)) GRAY)
(export-layer content "content")
(export-layer result "result")
(swag-done)
