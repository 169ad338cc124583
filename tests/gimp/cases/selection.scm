; A rectangular selection: the new layer is masked by it, so the image
; changes inside the rectangle only. A feathered selection gives a mask
; with intermediate values.
(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)
(export-visible img "visible-before")

(gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12 10 20 16)
(define result (stylise img (list content) style))

(check-result-layer img result content style)
(check "the new layer has a mask" (has-mask? result))
(gimp-selection-none img)
(export-visible img "visible-after")

; Feathered: (nearly) opaque in the middle, transparent far outside, in
; between at the rectangle's edge.
(define img2 (load-image "photo.png"))
(define content2 (first-layer img2))
(gimp-image-select-rectangle img2 CHANNEL-OP-REPLACE 12 10 20 16)
(gimp-selection-feather img2 8)
(define result2 (stylise img2 (list content2) style))
(define (mask-value x y)
  (car (car (gimp-drawable-get-pixel (mask-of result2) x y))))
(check "feathered mask: nearly opaque in the middle" (> (mask-value 22 18) 200)
       'value (mask-value 22 18))
(check-equal "feathered mask: transparent far outside" (mask-value 1 1) 0)
(check "feathered mask: in between at the edge"
       (< 0 (mask-value 12 18) (mask-value 22 18)) 'value (mask-value 12 18))
(swag-done)
