"""Request and response bodies, one module per area: separate Create (what comes in) and Public (what goes
out) shapes."""
