/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_resize.c: torchvision's Resize (N) of the network's input, bilinear
 * and antialiased as PyTorch's CPU kernel computes it (its taps and
 * weights: _compute_indices_weights_aa in UpSampleKernel.cpp), band by
 * band (its API: cfm_resize.h). */
#include "cfm_resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_number.h"

CfmStatus
cfm_resize_size (int h, int w, int shorter, int *out_h, int *out_w,
                 CfmError *err)
{
  int short_side = h < w ? h : w, long_side = h < w ? w : h;
  double other;

  if (h < 1 || w < 1 || shorter < 1)
    return cfm_error_set (err, CFM_ERR_ARG, "cannot resize %d x %d to a "
                          "shorter side of %d", w, h, shorter);
  other = floor ((double) shorter * long_side / short_side);
  if (shorter > CFM_RESIZE_MAX_SIDE || other > CFM_RESIZE_MAX_SIDE)
    return cfm_error_set (err, CFM_ERR_SIZE, "an input size of %d makes "
                          "this %d x %d image wider than %d pixels", shorter,
                          w, h, CFM_RESIZE_MAX_SIDE);
  *out_h = h <= w ? shorter : (int) other;
  *out_w = h <= w ? (int) other : shorter;
  return CFM_OK;
}

/* The triangle filter of bilinear interpolation. */
static double
triangle (double x)
{
  x = fabs (x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

static void
axis_free (CfmResizeAxis *a)
{
  free (a->first);
  free (a->count);
  free (a->weight);
  memset (a, 0, sizeof *a);
}

/* The taps of an axis of IN pixels resized to OUT: a downscale widens the
 * filter by its ratio (the antialiasing), an upscale keeps it 1 wide. */
static CfmStatus
axis_init (CfmResizeAxis *a, int in, int out, CfmError *err)
{
  double scale = (double) in / out;
  double support = scale >= 1.0 ? scale : 1.0;
  double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  int i, j;

  memset (a, 0, sizeof *a);
  a->taps = (int) ceil (support) * 2 + 1;
  a->first = malloc ((size_t) out * sizeof (int));
  a->count = malloc ((size_t) out * sizeof (int));
  a->weight = malloc ((size_t) out * a->taps * sizeof (float));
  if (a->first == NULL || a->count == NULL || a->weight == NULL)
    {
      axis_free (a);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a resize "
                            "to %d pixels", out);
    }
  for (i = 0; i < out; i++)
    {
      double centre = scale * (i + 0.5), total = 0.0;
      long lo = (long) (centre - support + 0.5), hi;
      float *wt = a->weight + (size_t) i * a->taps;

      lo = lo < 0 ? 0 : lo;
      hi = (long) (centre + support + 0.5);
      hi = hi > in ? in : hi;
      a->first[i] = (int) lo;
      a->count[i] = (int) (hi - lo) < a->taps ? (int) (hi - lo) : a->taps;
      for (j = 0; j < a->count[i]; j++)
        total += triangle ((j + lo - centre + 0.5) * invscale);
      for (j = 0; j < a->count[i]; j++)
        wt[j] = total != 0.0
                ? (float) (triangle ((j + lo - centre + 0.5) * invscale)
                           / total) : 0.0f;
    }
  return CFM_OK;
}

CfmStatus
cfm_resizer_init (CfmResizer *r, int c, int h, int w, int out_h, int out_w,
                  CfmRowReader read, void *read_data, CfmError *err)
{
  CfmStatus status;

  memset (r, 0, sizeof *r);
  if (c < 1 || h < 1 || w < 1 || out_h < 1 || out_w < 1
      || out_h > CFM_RESIZE_MAX_SIDE || out_w > CFM_RESIZE_MAX_SIDE)
    return cfm_error_set (err, CFM_ERR_ARG, "cannot resize %d x %d to %d x "
                          "%d", w, h, out_w, out_h);
  r->read = read;
  r->read_data = read_data;
  r->c = c, r->h = h, r->w = w;
  r->out_h = out_h, r->out_w = out_w;
  if ((status = axis_init (&r->rows, h, out_h, err)) != CFM_OK
      || (status = axis_init (&r->cols, w, out_w, err)) != CFM_OK)
    cfm_resizer_free (r);
  return status;
}

/* Room for N source rows and the same resized along the columns. */
static CfmStatus
make_room (CfmResizer *r, int n, CfmError *err)
{
  size_t count;
  float *source, *across;

  if (n <= r->room)
    return CFM_OK;
  if (!cfm_size_mul ((size_t) r->c * n, (size_t) r->w + r->out_w, &count))
    return cfm_error_set (err, CFM_ERR_SIZE, "a resize band of %d rows "
                          "overflows", n);
  source = realloc (r->source, (size_t) r->c * n * r->w * sizeof (float));
  if (source)
    r->source = source;
  across = realloc (r->across, (size_t) r->c * n * r->out_w
                               * sizeof (float));
  if (across)
    r->across = across;
  if (source == NULL || across == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a resize "
                          "band of %d rows", n);
  r->room = n;
  return CFM_OK;
}

/* N rows of C planes at SRC (W wide) resized along the columns into DST. */
static void
resize_columns (const CfmResizer *r, const float *src, int n, float *dst)
{
  const CfmResizeAxis *a = &r->cols;
  size_t rows = (size_t) r->c * n, y;
  int x, j;

  for (y = 0; y < rows; y++)
    {
      const float *in = src + y * r->w;
      float *out = dst + y * r->out_w;

      for (x = 0; x < r->out_w; x++)
        {
          const float *wt = a->weight + (size_t) x * a->taps;
          const float *p = in + a->first[x];
          float sum = 0.0f;

          for (j = 0; j < a->count[x]; j++)
            sum += p[j] * wt[j];
          out[x] = sum;
        }
    }
}

CfmStatus
cfm_resizer_read (void *data, int row0, int rows, float *dst, CfmError *err)
{
  CfmResizer *r = data;
  const CfmResizeAxis *a = &r->rows;
  int last = row0 + rows - 1, first, n, y, ch, j, x;
  CfmStatus status;

  if (row0 < 0 || rows < 1 || last >= r->out_h)
    return cfm_error_set (err, CFM_ERR_ARG, "resized rows %d .. %d of %d",
                          row0, last, r->out_h);
  first = a->first[row0];
  n = a->first[last] + a->count[last] - first;
  if ((status = make_room (r, n, err)) != CFM_OK
      || (status = r->read (r->read_data, first, n, r->source, err))
         != CFM_OK)
    return status;
  resize_columns (r, r->source, n, r->across);
  for (ch = 0; ch < r->c; ch++)
    for (y = row0; y <= last; y++)
      {
        const float *wt = a->weight + (size_t) y * a->taps;
        const float *in = r->across + ((size_t) ch * n + a->first[y] - first)
                                      * r->out_w;
        float *out = dst + ((size_t) ch * rows + y - row0) * r->out_w;

        for (x = 0; x < r->out_w; x++)
          out[x] = 0.0f;
        for (j = 0; j < a->count[y]; j++)
          for (x = 0; x < r->out_w; x++)
            out[x] += in[(size_t) j * r->out_w + x] * wt[j];
      }
  return CFM_OK;
}

void
cfm_resizer_free (CfmResizer *r)
{
  axis_free (&r->rows);
  axis_free (&r->cols);
  free (r->source);
  free (r->across);
  r->source = r->across = NULL;
  r->room = 0;
}
