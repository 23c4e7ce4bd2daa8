"""SkillCheck: a model must beat the trivial predictor (majority class, train mean) by a margin."""
