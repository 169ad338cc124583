; The same photograph as 8-bit perceptual, 16-bit linear and 32-bit float
; linear images: the result layer keeps the image's precision, and since
; babl hands the engine the same perceptual values, the results agree.
(define style-img (load-image "painting.png"))
(define style (first-layer style-img))

(define (stylise-at precision name)
  (let* ((img (load-image "photo.png"))
         (content (first-layer img)))
    (if precision (gimp-image-convert-precision img precision))
    (let ((result (stylise img (list content) style)))
      (check-result-layer img result content style)
      (if precision
          (check-equal (string-append name ": the image keeps its precision")
                       (car (gimp-image-get-precision img)) precision))
      (export-layer content (string-append "content-" name))
      (export-layer result (string-append "result-" name)))))

(stylise-at #f "u8")
(stylise-at PRECISION-U16-LINEAR "u16-linear")
(stylise-at PRECISION-FLOAT-LINEAR "float-linear")
(swag-done)
