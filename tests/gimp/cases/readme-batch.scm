; The README's Script-Fu batch example, docs/examples/swag-batch.scm, as a
; user runs it: every photo*.png of the inputs (photo.png, photo-alpha.png)
; stylised with painting.png into this case's output folder.
(load (string-append swag-top "/docs/examples/swag-batch.scm"))
(swag-batch (string-append swag-inputs "/photo*.png")
            (string-append swag-inputs "/painting.png")
            swag-out)
(export-layer (first-layer (load-image "photo.png")) "photo")
(swag-done)
