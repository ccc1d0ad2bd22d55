"""Reading QR codes back from images in tests (OpenCV)."""
from __future__ import annotations

import cv2
import numpy as np


def decode_qr(image: bytes) -> str:
    """The text of the QR code in an encoded image (PNG, JPEG), '' if none.

    OpenCV's classic detector misses about one clean, computer-drawn code in
    twenty (a weakness of its finder-pattern search, not of the codes: its
    ArUco-based detector reads every one of them), so that one is asked
    second."""
    pixels = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None, "not an image"
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _points, _straight = detector.detectAndDecode(pixels)
        if text:
            return text
    return ""
