"""The tiny course is certified by Imperial College London: give it a signatory, as its partner would."""

import pytest


@pytest.fixture(autouse=True)
def _signatory_set(imperial_signatory):
    return imperial_signatory
