; The main job through GIMP 3: open the sample photograph and painting,
; stylise the photograph with the plug-in's defaults, export the result.
; Loaded by tools/demo.sh, which defines swag-top.
(let* ((content (car (gimp-file-load RUN-NONINTERACTIVE
                                     (string-append swag-top "/data/samples/chelsea.png"))))
       (style-image (car (gimp-file-load RUN-NONINTERACTIVE
                                         (string-append swag-top "/data/samples/the_scream.jpg"))))
       (layer (vector-ref (car (gimp-image-get-layers content)) 0))
       (style (vector-ref (car (gimp-image-get-layers style-image)) 0)))
  (plug-in-swag-style-transfer #:run-mode RUN-NONINTERACTIVE
                               #:image content
                               #:drawables (vector layer)
                               #:style-layer style)
  (gimp-file-save RUN-NONINTERACTIVE content
                  (string-append swag-top "/out/chelsea-swag.png") -1)
  (gimp-image-delete style-image)
  (gimp-image-delete content))
