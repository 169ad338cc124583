; The procedure's arguments as GIMP's PDB holds them, against the engine's
; table of settings: python-fu-eval writes them (dump-arguments.py:
; Script-Fu cannot read a GParamSpec's range), and
; procedure-arguments.check compares them with `swag-transfer
; --dump-settings json` (check-arguments.py) and asks the engine, through
; swag-transfer, whether it takes every range's ends.
(python-fu-eval #:run-mode RUN-NONINTERACTIVE
                #:script (string-append
                           "OUT = '" swag-out "/procedure.json'\n"
                           "exec(open('" swag-top "/tests/gimp/dump-arguments.py')"
                           ".read())\n"))
(swag-done)
