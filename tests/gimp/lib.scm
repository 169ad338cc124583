; Helpers for the GIMP test cases of swag-style: assertions, expected PDB
; errors, loading inputs and exporting pixels for png-check.
;
; run-gimp-tests.sh defines swag-inputs (the folder of input PNGs) and
; swag-out (this case's output folder) before loading this file. A failed
; assertion raises an error, which makes gimp-console exit non-zero and name
; the file and line.
;
; Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.

; Small and fast: a few evaluations at a small working size, all at full
; resolution (one scale): 48x40 inputs would otherwise split them over two
; scales of two evaluations, and L-BFGS's first steps are short.
(define swag-iterations 12)
(define swag-size 64)
(define swag-scales 1)

(define (show x)
  (let ((port (open-output-string)))
    (write x port)
    (get-output-string port)))

; The error's text as the user reads it (strings without quotes).
(define (error-text args)
  (let ((port (open-output-string)))
    (for-each (lambda (x) (display x port) (display " " port)) args)
    (get-output-string port)))

(define (string-contains? haystack needle)
  (let ((n (string-length haystack))
        (m (string-length needle)))
    (let loop ((i 0))
      (cond ((> (+ i m) n) #f)
            ((string=? (substring haystack i (+ i m)) needle) #t)
            (else (loop (+ i 1)))))))

(define (starts-with? prefix s)
  (and (<= (string-length prefix) (string-length s))
       (string=? (substring s 0 (string-length prefix)) prefix)))

(define (check what ok . details)
  (if ok
      (begin (display "ok: ") (display what) (newline))
      (error (string-append "FAIL: " what " " (show details)))))

(define (check-equal what got want)
  (check what (equal? got want) 'got got 'want want))

; After a refused call: the image has the layers it had, and is clean.
(define (check-image-unchanged what img layers-before)
  (check-equal (string-append what ": the layers are unchanged")
               (image-layers img) layers-before)
  (check (string-append what ": the image is not dirty")
         (= (car (gimp-image-is-dirty img)) 0)))

; Calls thunk; returns its result, or 'failed with the error in
; swag-last-error.
(define swag-last-error #f)
(define (swag-try thunk)
  (set! swag-last-error #f)
  (let ((old-hook *error-hook*))
    (set! *error-hook*
          (lambda args
            (set! swag-last-error args)
            (set! *error-hook* old-hook)
            (apply old-hook args)))
    (let ((result (catch 'failed (thunk))))
      (set! *error-hook* old-hook)
      result)))

; The call must fail with a message containing every string of needles.
(define (expect-error what thunk needles)
  (let ((result (swag-try thunk)))
    (check (string-append what ": the call fails") (eq? result 'failed)
           'result result)
    (let ((message (error-text swag-last-error)))
      (display "   message: ") (display message) (newline)
      (for-each
        (lambda (needle)
          (check (string-append what ": the message says \"" needle "\"")
                 (string-contains? message needle) 'message message))
        needles))))

(define (input name) (string-append swag-inputs "/" name))
(define (out name) (string-append swag-out "/" name ".png"))

(define (load-image name)
  (car (gimp-file-load RUN-NONINTERACTIVE (input name))))

; A file the GUI cases' session put into this case's output folder (the
; bundled samples).
(define (sample name)
  (car (gimp-file-load RUN-NONINTERACTIVE (string-append swag-out "/" name))))

; Adds the PNG @name to @img as a new layer at @position.
(define (load-layer img name position)
  (let ((layer (car (gimp-file-load-layer RUN-NONINTERACTIVE img (input name)))))
    (gimp-image-insert-layer img layer 0 position)
    layer))

(define (image-layers img) (vector->list (car (gimp-image-get-layers img))))
(define (selected-layers img)
  (vector->list (car (gimp-image-get-selected-layers img))))
; Whether two lists of items hold the same items, in any order.
(define (same-items? a b)
  (and (= (length a) (length b))
       (let loop ((a a))
         (or (null? a) (and (member (car a) b) (loop (cdr a)))))))
(define (first-layer img) (car (image-layers img)))
(define (layer-name layer) (car (gimp-item-get-name layer)))
(define (position img item) (car (gimp-image-get-item-position img item)))
(define (width d) (car (gimp-drawable-get-width d)))
(define (height d) (car (gimp-drawable-get-height d)))
(define (offsets d) (gimp-drawable-get-offsets d))
(define (mask-of layer) (car (gimp-layer-get-mask layer)))
(define (has-mask? layer) (> (mask-of layer) 0))

(define (settings-parasite layer)
  (let ((found (swag-try (lambda ()
                           (gimp-item-get-parasite layer "swag-style-settings")))))
    (if (eq? found 'failed) #f (caddr (car found)))))

; Exports what the image shows, as an 8-bit RGB(A) PNG.
(define (export-visible img name)
  (let* ((tmp (car (gimp-image-new (car (gimp-image-get-width img))
                                   (car (gimp-image-get-height img)) RGB)))
         (layer (car (gimp-layer-new-from-visible img tmp "visible"))))
    (gimp-image-insert-layer tmp layer 0 0)
    (gimp-file-save RUN-NONINTERACTIVE tmp (out name) -1)
    (gimp-image-delete tmp)))

; Exports a layer's own pixels (without its mask), as an 8-bit perceptual
; RGB(A) PNG of the layer's size: babl converts from any precision.
(define (export-layer layer name)
  (let* ((tmp (car (gimp-image-new (width layer) (height layer) RGB)))
         (copy (car (gimp-layer-new-from-drawable layer tmp))))
    (gimp-image-insert-layer tmp copy 0 0)
    (gimp-layer-set-offsets copy 0 0)
    (if (has-mask? copy) (gimp-layer-remove-mask copy MASK-DISCARD))
    (gimp-file-save RUN-NONINTERACTIVE tmp (out name) -1)
    (gimp-image-delete tmp)))

; The plug-in with the small settings; @extra is a list of more named
; arguments. Returns the new layer.
(define (stylise img layers style . extra)
  (car (apply plug-in-swag-style-transfer
              (append (list #:run-mode RUN-NONINTERACTIVE
                            #:image img
                            #:drawables (list->vector layers)
                            #:style-layer style
                            #:iterations swag-iterations
                            #:size swag-size
                            #:scales swag-scales)
                      extra))))

; The result layer's place and geometry, as docs/interfaces.md states them.
(define (check-result-layer img result content style)
  ; GIMP keeps names unique: a second "X (SWAG)" becomes "X (SWAG) #1".
  (let ((name (string-append (layer-name style) " (SWAG)")))
    (check "the new layer is named after the style layer"
           (starts-with? name (layer-name result))
           'name (layer-name result) 'want name))
  (check-equal "the new layer has the content layer's size"
               (list (width result) (height result))
               (list (width content) (height content)))
  (check-equal "the new layer has the content layer's offsets"
               (offsets result) (offsets content))
  (check-equal "the new layer has the content layer's parent"
               (gimp-item-get-parent result) (gimp-item-get-parent content))
  (check-equal "the new layer is directly above the content layer"
               (+ (position img result) 1) (position img content))
  (check-equal "the new layer has the content layer's type"
               (gimp-drawable-type result) (gimp-drawable-type content))
  (let ((settings (settings-parasite result)))
    (check "the new layer carries its settings as JSON"
           (and settings
                (> (string-length settings) 2)
                (string=? (substring settings 0 1) "{")
                (string-contains? settings "iterations"))
           'parasite settings)))

; The last line of every case: the runner looks for it.
(define (swag-done)
  (display "SWAG-CASE-OK") (newline))

; --------------------------------------------------------- GUI cases only --
; For cases run by gui-session.sh, which plays the user.

(define (touch path)
  (close-output-port (open-output-file path)))

; Writes the plug-in's last values, as GIMP saves them after an interactive
; run, so that the dialog opens with them. libgimp 3.0.4 names the file
; after the config type GimpProcedureConfigRun-PROC (earlier 3.0 builds:
; GimpProcedureConfig-PROC): both are written.
(define (write-last-values lines)
  (for-each
    (lambda (type)
      (let ((port (open-output-file
                    (string-append gimp-directory "/plug-in-settings/" type
                                   "-plug-in-swag-style-transfer.last"))))
        (for-each (lambda (line) (display line port) (newline port)) lines)
        (close-output-port port)))
    '("GimpProcedureConfigRun" "GimpProcedureConfig")))

; Asks gui-session.sh to press Ctrl+Z in the image window (request n), and
; waits until (done?) holds, making PDB calls meanwhile so that GIMP keeps
; handling events. Returns whether it held in time.
(define (press-undo n done?)
  (touch (string-append swag-out "/request-undo-" (number->string n)))
  (let loop ((tries 0))
    (cond ((done?) #t)
          ((> tries 50000) #f)
          (else (gimp-context-get-opacity) (loop (+ tries 1))))))
