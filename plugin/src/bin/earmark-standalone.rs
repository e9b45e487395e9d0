//! Earmark as a standalone application (`--features standalone`): the plugin with its editor, fed by JACK or ALSA
//! (`--backend dummy` runs without audio hardware). Useful to look at the readouts without a DAW.

fn main() {
    nice_plug::prelude::nice_export_standalone::<earmark::Earmark>();
}
