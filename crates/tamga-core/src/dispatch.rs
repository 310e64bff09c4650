//! Automatic dispatching of controlled declarations to inspectors by
//! competence, workload and a recorded random element (pure).
