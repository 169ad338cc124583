; Two selected layers, one inside a group, of their own sizes and offsets,
; stylised with the first of them: each gets its own new layer, of its
; size and offsets, directly above it in the same group. The procedure
; returns the first new layer and the list of all of them.
(define img (load-image "photo.png"))
(define top (first-layer img))
(gimp-item-set-name top "Top")
(gimp-layer-resize top 30 20 -3 -2)
(gimp-layer-set-offsets top 7 5)

(define group (car (gimp-group-layer-new img "Group")))
(gimp-image-insert-layer img group 0 1)
(define inner (load-layer img "photo.png" 0))
(gimp-image-reorder-item img inner group 0)
(gimp-item-set-name inner "Inner")
(gimp-layer-resize inner 40 24 0 -8)
(gimp-layer-set-offsets inner -6 12)

(define returned
  (plug-in-swag-style-transfer #:run-mode RUN-NONINTERACTIVE
                               #:image img
                               #:drawables (vector top inner)
                               #:style-layer top
                               #:iterations swag-iterations
                               #:size swag-size
                               #:scales swag-scales))
(define result-top (car returned))
(define results (vector->list (cadr returned)))

(check-equal "one new layer per selected layer" (length results) 2)
(check-equal "the returned layer is the first of the list"
             (car results) result-top)
(check-result-layer img (car results) top top)
(check-result-layer img (cadr results) inner top)
(check-equal "the group holds the inner layer's result"
             (car (gimp-item-get-parent (cadr results))) group)
(check "the new layers are selected"
       (same-items? (selected-layers img) results) 'selected (selected-layers img))
(export-layer top "top")
(export-layer (car results) "result-top")
(export-layer inner "inner")
(export-layer (cadr results) "result-inner")
(swag-done)
