//! Finding 11 (low): loose amounts and bank references.
