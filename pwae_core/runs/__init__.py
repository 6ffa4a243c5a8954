"""Everything that trains or measures: the one training loop (``loop``), image-model
training (``train``), couplings and vector cVAEs on sample sets (``fitting``), evaluation
of image posteriors (``evaluate``, ``report``), the coupling PWAE paper's tables
(``experiments``, ``reproduce``), figures, presets and the results writer."""
