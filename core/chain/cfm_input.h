/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_input.h: turning a host's pixels into the network's input.
 *
 * The tutorial reads its photo with OpenCV and converts it with
 * cv2.cvtColor (BGR2GRAY), which computes Rec.601 luma on the encoded
 * 8-bit values in fixed point and rounds to 8 bits before the /255.  The
 * 8-bit path here does the same integer arithmetic, so the maps match the
 * tutorial's to the last bit of the input. */
#ifndef CFM_INPUT_H
#define CFM_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* OUT[i] = cv2 gray of the 8-bit RGB pixel at RGB + i * STEP, / 255. */
void cfm_luma_from_rgb8 (const uint8_t *rgb, size_t step, size_t n,
                         float *out);

/* OUT[i] = cv2 gray of the 8-bit RGB pixel at RGB + i * STEP (0..255). */
void cfm_luma_codes_from_rgb8 (const uint8_t *rgb, size_t step, size_t n,
                               uint8_t *out);

/* OUT[i] = 0.299 R + 0.587 G + 0.114 B for float pixels at RGB + i * STEP. */
void cfm_luma_from_rgbf (const float *rgb, size_t step, size_t n,
                         float *out);

#endif
