"""The application: the render loop that carries out the show's decisions, and the CLI."""
