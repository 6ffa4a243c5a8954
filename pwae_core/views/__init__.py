"""What the app calls: one function per user action, pictures and figures out.

    digits    the digits posterior explorer (samples, mean, std, latent directions)
    ot        the sphere OT maps and the 2-D posterior beside its closed form

Views import models and the math, never ``runs``.
"""
