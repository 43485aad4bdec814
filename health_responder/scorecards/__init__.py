"""How providers perform: the public directory with twelve-month figures, and each provider's scorecard."""
