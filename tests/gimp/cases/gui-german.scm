; The plug-in in German: GIMP with its interface under Xvfb, with
; LANG=de_DE.UTF-8 (gui-german.session.sh makes the locale and plays the
; user). The plug-in binds its domain in its own locale/ folder, where
; meson installed the catalogs, so GIMP registers the German menu label
; and description; the dialog opens with its German title (the session
; finds it by that title, takes its picture and its mnemonics, and presses
; OK), and the run makes the new layer as in English. The labels, the
; title and the mnemonics are checked in gui-german.check.

; What GIMP's PDB holds for the procedure: its menu label (GIMP's menus
; show it), description and help. Script-Fu has no binding for the PDB's
; gimp-pdb-get-proc-menu-label (libgimp-private), Python's libgimp does:
; python-fu-eval asks, and writes them to OUT for the checks.
(define (pdb-text field)
  (string-append
    "open('" swag-out "/" field ".txt', 'w', encoding='utf-8').write("
    "Gimp.get_pdb().lookup_procedure('plug-in-swag-style-transfer')"
    ".get_" field "() + '\\n')\n"))
(python-fu-eval #:run-mode RUN-NONINTERACTIVE
                #:script (string-append (pdb-text "menu_label")
                                        (pdb-text "blurb")
                                        (pdb-text "help")))

(define img (load-image "photo.png"))
(define content (first-layer img))
(define style (load-layer img "painting.png" 1))
(gimp-item-set-visible style FALSE)
(gimp-display-new img)
(gimp-image-set-selected-layers img (vector content))

; Small settings; the style layer as the plug-in remembers it.
(write-last-values
  (list (string-append "(iterations " (number->string swag-iterations) ")")
        (string-append "(size " (number->string swag-size) ")")
        (string-append "(last-style-layer \"" (number->string style) ":"
                       (layer-name style) "\")")))

(define result
  (car (plug-in-swag-style-transfer #:run-mode RUN-INTERACTIVE
                                    #:image img
                                    #:drawables (vector content))))
; The new layer's name, "%s (SWAG)", is the same in German.
(check-result-layer img result content style)
(swag-done)
