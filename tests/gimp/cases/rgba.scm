; A layer with transparent and half-transparent areas: the new layer has
; alpha, equal to the content's; the opaque part is stylised.
(define img (load-image "photo-alpha.png"))
(define content (first-layer img))
(check "the content layer has alpha" (= (car (gimp-drawable-has-alpha content)) 1))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)

(define result (stylise img (list content) style))

(check-result-layer img result content style)
(check "the new layer has alpha" (= (car (gimp-drawable-has-alpha result)) 1))
(export-layer content "content")
(export-layer result "result")
(swag-done)
