// placeholder removed once the target has sources
