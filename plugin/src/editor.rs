//! The editor (egui, behind the `gui` feature). Without the feature the plugin has no editor, and the persisted
//! editor state is an empty placeholder so saved projects stay compatible both ways.

#[cfg(not(feature = "gui"))]
mod none {
    use std::sync::RwLock;

    /// Placeholder for the editor's persisted state.
    pub type EditorStateField = RwLock<()>;

    /// The placeholder.
    pub fn default_state() -> EditorStateField {
        RwLock::new(())
    }
}

#[cfg(not(feature = "gui"))]
pub use none::*;
