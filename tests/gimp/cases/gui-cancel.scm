; Cancelling in GIMP with its interface (under Xvfb; gui-cancel.session.sh
; plays the user): Escape in the dialog while its preview runs, then a full
; run started from the dialog and cancelled with the Cancel button of
; GIMP's progress (in the image window's status bar) while the
; optimisation is in its second scale. After each: GIMP carries on, the
; image has exactly the layers of before, no "(SWAG)" layer anywhere, the
; image is as clean or dirty as before, and the undo history is as before:
; one Ctrl+Z in the image window undoes the step made just before the call
; (a rename of the content layer), nothing the call left. Then a run right
; after works.

(define img (sample "chelsea.png"))
(define content (first-layer img))
(define style-img (sample "the_scream.jpg"))
(define style (first-layer style-img))
(gimp-display-new img)
(gimp-image-set-selected-layers img (vector content))
(define original-name (layer-name content))

; A full run of tens of seconds: 451x300 at 320 px in 2 scales, 60
; evaluations of VGG-19 (the multi-scale default is done in a third of
; the time, too soon for the click). The preview runs with these too,
; small.
(write-last-values
  (list "(backbone \"vgg19\")"
        "(iterations 60)"
        "(size 320)"
        "(scales 2)"
        (string-append "(last-style-layer \"" (number->string style) ":"
                       (layer-name style) "\")")))

(define (run-dialog)
  (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                               #:image img
                               #:drawables (vector content)))

(define (swag-layer-names image)
  (let loop ((layers (image-layers image)) (found '()))
    (cond ((null? layers) found)
          ((string-contains? (layer-name (car layers)) "(SWAG)")
           (loop (cdr layers) (cons (layer-name (car layers)) found)))
          (else (loop (cdr layers) found)))))

; The time as "SECONDS.MICROSECONDS", digit for digit: Script-Fu
; displays a real with 10 significant digits, which for the seconds since
; 1970 leaves none after the point, and a time rounded to the second made
; "Escape ended the call in -0.2 s" out of a call that ended 0.3 s after.
(define (now)
  (let* ((t (gettimeofday))
         (us (number->string (cadr t))))
    (string-append (number->string (car t)) "."
                   (substring "000000" 0 (- 6 (string-length us))) us)))

(define (write-line path value)
  (let ((port (open-output-file (string-append swag-out "/" path))))
    (display value port)
    (newline port)
    (close-output-port port)))

; Renames the content layer (an undo step of its own), calls the dialog
; (the session cancels it), then checks what is left. n numbers the undo
; request.
(define (cancelled-call what n marker)
  (gimp-item-set-name content marker)
  (let ((layers-before (image-layers img))
        (dirty-before (car (gimp-image-is-dirty img)))
        (result (swag-try run-dialog)))
    (write-line (string-append "returned-" (number->string n) ".txt") (now))
    (check (string-append what ": the call ends without a result")
           (or (eq? result 'failed) (not (car result))) 'got result)
    (check-equal (string-append what ": the image has exactly its layers")
                 (image-layers img) layers-before)
    (check-equal (string-append what ": no (SWAG) layer")
                 (append (swag-layer-names img) (swag-layer-names style-img))
                 '())
    (check-equal (string-append what ": the image is as clean or dirty as before")
                 (car (gimp-image-is-dirty img)) dirty-before)
    (check-equal (string-append what ": the content layer is untouched")
                 (layer-name content) marker)
    ; The undo history: the first Ctrl+Z undoes the rename.
    (check (string-append what ": GIMP answers, and one Ctrl+Z undoes the "
                          "step made before the call")
           (press-undo n (lambda ()
                           (string=? (layer-name content) original-name))))
    (check-equal (string-append what ": after that Ctrl+Z the layers are "
                                "still those of before")
                 (image-layers img) layers-before)))

(cancelled-call "Escape while the preview runs" 1 "Photo (before Escape)")
(cancelled-call "Cancel in GIMP's progress" 2 "Photo (before Cancel)")

; A run right after works (small settings: quick).
(define result (stylise img (list content) style))
(check-result-layer img result content style)
(export-layer content "content")
(export-layer result "result")
(swag-done)
