//! Finding 8 (low): signed bodies could be replayed on another declaration or twice.
