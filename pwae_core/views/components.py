"""Gradio components whose input errors are specific messages.

Gradio checks and decodes a request's inputs before the app's function runs; a failure
there (a corrupt image, a string where a number belongs, an editor value that is not a
dict) reaches the user as the generic "upstream app raised an exception". These
subclasses make every such failure a ``UserError`` (a ``gr.Error``) naming the input, and
pass numbers and choices through raw, so the views check them with ``checks`` (one
place, the same rules for the UI and the API).

    user_error(message)     a gr.Error that logs one line instead of a traceback
"""
from __future__ import annotations

import logging

import gradio as gr
from PIL import Image as PILImage
from pydantic import ValidationError

from .. import checks
from ..images import MAX_SIDE

LOG = logging.getLogger("pwae.app")
UNREADABLE = "the file is not an image that can be read (PNG, JPEG, WebP, GIF, BMP)"


def user_error(message: str) -> gr.Error:
    """A visible error for a user's mistake: one log line, no traceback."""
    LOG.info("user error: %s", message)
    return gr.Error(message, print_exception=False)


def _checked_model(model, what: str, expected: str):
    """``model`` (a gradio data model) whose validation failure is a user error."""
    class Checked(model):
        @classmethod
        def model_validate(cls, obj, *args, **kwargs):
            try:
                return model.model_validate(obj, *args, **kwargs)
            except ValidationError:
                raise user_error(f"{what} must be {expected}, got {checks.short(obj)}") from None
    Checked.__name__ = Checked.__qualname__ = model.__name__
    return Checked


def _image_size(path) -> tuple[int, int]:
    """Width and height from the file header (nothing decoded); a user error if unreadable."""
    try:
        with PILImage.open(path) as im:
            return im.size
    except (OSError, ValueError, PILImage.DecompressionBombError):
        raise user_error(UNREADABLE) from None


def _check_sizes(files, what: str) -> None:
    """Every image file of a payload at most MAX_SIDE pixels per side (read from its header)."""
    for f in files:
        if f is not None and getattr(f, "path", None) is not None:
            w, h = _image_size(f.path)
            if max(w, h) > MAX_SIDE:
                raise user_error(f"{what} is {w} x {h} pixels; at most {MAX_SIDE} per side, please")


def _decoded(preprocess, payload, message: str):
    """Gradio's own decoding of a payload; any failure becomes ``message`` for the user."""
    try:
        return preprocess(payload)
    except gr.Error:
        raise
    except Exception:
        raise user_error(message) from None


class _Named:
    """Rendered by the gradio component named ``frontend_name`` (the subclass is Python-side only)."""
    frontend_name = ""

    def get_block_name(self) -> str:
        return self.frontend_name

    def get_block_class(self) -> str:
        return self.frontend_name


class _Raw(_Named):
    """Numbers and choices go to the function as sent; the views check them."""

    def preprocess(self, payload):
        return payload


class Number(_Raw, gr.Number):
    frontend_name = "number"


class Slider(_Raw, gr.Slider):
    frontend_name = "slider"


class Radio(_Raw, gr.Radio):
    frontend_name = "radio"


class Image(_Named, gr.Image):
    """An image input: a readable image file of at most MAX_SIDE pixels per side."""
    data_model = _checked_model(gr.Image.data_model, "the image", "an image file "
                                "(gradio_client.handle_file(path)) or None")

    frontend_name = "image"

    def preprocess(self, payload):
        _check_sizes([payload], "the image")
        return _decoded(super().preprocess, payload, UNREADABLE)


class _Editor(_Named):
    """An image-editor input: a dict of background, layers and composite image files."""

    def preprocess(self, payload):
        _check_sizes([payload.background, payload.composite, *payload.layers] if payload else [],
                     "an editor layer")
        return _decoded(super().preprocess, payload, "the editor's layers could not be read as images")


_EDITOR_EXPECTED = 'a dict {"background": image, "layers": [images], "composite": image} or None'


class ImageEditor(_Editor, gr.ImageEditor):
    data_model = _checked_model(gr.ImageEditor.data_model, "the mask editor value", _EDITOR_EXPECTED)

    frontend_name = "imageeditor"


class Sketchpad(_Editor, gr.Sketchpad):
    data_model = _checked_model(gr.Sketchpad.data_model, "the sketch", _EDITOR_EXPECTED)

    frontend_name = "imageeditor"
