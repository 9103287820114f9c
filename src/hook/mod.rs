//! Adapters that let agents route their commands through gate without typing `gate --`.

pub mod claude_code;
