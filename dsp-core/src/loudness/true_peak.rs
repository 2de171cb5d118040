//! True-peak meter (placeholder: owned by the dynamics helper).
