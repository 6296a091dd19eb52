"""Import a PyTorch model as a design: load it (in a spawned process), trace it with torch.fx,
map its modules and operations to the catalogue's kinds, and report what doesn't map.

``import_worker.import_model`` is the entry point (the app keeps a worker warm instead);
nothing here imports Qt, and nothing imports torch until a model is loaded.
"""
