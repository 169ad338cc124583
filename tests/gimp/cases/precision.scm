; The same photograph as 8-bit perceptual, 16-bit linear, 32-bit float
; linear, half-float linear, 32-bit integer non-linear and double
; perceptual images: the result layer keeps the image's precision, and since
; the engine is handed the same perceptual values (within the 16-bit
; rounding), the results agree. With Adam: its steps follow the gradient
; continuously, where L-BFGS's line search may branch on a last bit (the
; 16-bit image gave a result 8.6/255 away from the 8-bit one with L-BFGS).
(define style-img (load-image "painting.png"))
(define style (first-layer style-img))

(define (stylise-at precision name)
  (let* ((img (load-image "photo.png"))
         (content (first-layer img)))
    (if precision (gimp-image-convert-precision img precision))
    (let ((result (stylise img (list content) style #:optimizer "adam")))
      (check-result-layer img result content style)
      (if precision
          (check-equal (string-append name ": the image keeps its precision")
                       (car (gimp-image-get-precision img)) precision))
      (export-layer content (string-append "content-" name))
      (export-layer result (string-append "result-" name)))))

(stylise-at #f "u8")
(stylise-at PRECISION-U16-LINEAR "u16-linear")
(stylise-at PRECISION-FLOAT-LINEAR "float-linear")
(stylise-at PRECISION-HALF-LINEAR "half-linear")
(stylise-at PRECISION-U32-NON-LINEAR "u32-non-linear")
(stylise-at PRECISION-DOUBLE-PERCEPTUAL "double-perceptual")
(swag-done)
