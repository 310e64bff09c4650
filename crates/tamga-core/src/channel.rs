//! The channel decision: profile hits, trader category, model score and
//! seeded random selection combined into green / yellow / red (+ blue).
