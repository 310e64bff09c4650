//! The trader digital twin: metrics computed from history and the
//! low / medium / high category they give (pure).
