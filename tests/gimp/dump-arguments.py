# Run inside GIMP by python-fu-eval (cases/procedure-arguments.scm), with
# OUT set: writes the arguments of plug-in-swag-style-transfer as the PDB
# holds them (name, type, range, default, choices) to OUT as JSON, for
# check-arguments.py. GPL-3.0-or-later.
import json

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import GObject, Gimp

procedure = Gimp.get_pdb().lookup_procedure('plug-in-swag-style-transfer')
arguments = []
for spec in procedure.get_arguments():
    entry = {'name': spec.get_name(),
             'value-type': GObject.type_name(spec.value_type),
             'spec-type': spec.__gtype__.name,
             'nick': spec.get_nick(), 'blurb': spec.get_blurb()}
    if entry['spec-type'] == 'GimpParamChoice':
        choice = Gimp.param_spec_choice_get_choice(spec)
        entry['choices'] = list(choice.list_nicks())
        entry['default'] = Gimp.param_spec_choice_get_default(spec)
    elif entry['value-type'] in ('gint', 'gdouble'):
        entry['min'] = spec.minimum
        entry['max'] = spec.maximum
        entry['default'] = spec.default_value
    elif entry['value-type'] in ('gboolean', 'gchararray'):
        entry['default'] = spec.default_value
    arguments.append(entry)

with open(OUT, 'w', encoding='utf-8') as f:  # noqa: F821 (set by the caller)
    json.dump(arguments, f, indent=1)
