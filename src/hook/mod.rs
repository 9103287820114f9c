//! Adapters that let agents route their commands through gate without typing `gate --`.

pub mod install;
pub mod tool_call;
