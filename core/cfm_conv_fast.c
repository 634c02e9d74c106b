/* cfm_conv_fast.c: see cfm_conv_fast.h.
 *
 * The input band is first copied into padded rows (the padding mode
 * applied once), so the kernels run without a branch per pixel.  Threads
 * take contiguous runs of output rows. */
#include "cfm_conv_fast.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CFM_FAST_MAX_ROWS (CFM_CHANNELS_MAX * CFM_KERNEL_MAX)
#define CFM_CAT_(a, b) a##_##b
#define CFM_CAT(a, b) CFM_CAT_ (a, b)
#define CFM_CAT3_(a, b, c) a##_##b##_##c
#define CFM_CAT3(a, b, c) CFM_CAT3_ (a, b, c)

typedef struct
{
  const float  *packed;       /* weights: group g0, tap t, filter f at
                                 packed[g0 * taps + t * group + f] */
  const float  *bias;         /* groups * group values */
  int           taps, group, groups, n;
  int           c, kh, kw, dilation, padding, stride;
  int          *tap_row;      /* per tap: ch * kh + ky */
  int          *tap_col;      /* per tap: kx * dilation */
  const float  *padded;       /* c planes of band rows, each pw wide */
  const float  *zero_row;
  int           pw, band_row0, band_rows, in_h, row0, out_w;
  CfmPadMode    pad_mode;
  float        *conv, *act_out, *dummy;
  size_t        plane_stride;
  CfmActivation act;
  float         slope;
} FastJob;

static void
fast_row_pointers (const FastJob *job, int r, const float **rows)
{
  int ch, ky;

  for (ch = 0; ch < job->c; ch++)
    for (ky = 0; ky < job->kh; ky++)
      {
        int y = cfm_pad_index ((job->row0 + r) * job->stride - job->padding
                         + ky * job->dilation, job->in_h, job->pad_mode);

        rows[ch * job->kh + ky]
          = y < 0 ? job->zero_row
                  : job->padded + ((size_t) ch * job->band_rows
                                   + (y - job->band_row0)) * job->pw;
      }
}

static void
fast_out_pointers (const FastJob *job, int r, int f, float **conv,
                   float **act)
{
  size_t at = (size_t) f * job->plane_stride + (size_t) r * job->out_w;

  if (f >= job->n)
    {
      *conv = job->dummy;
      *act = job->act_out ? job->dummy : NULL;
      return;
    }
  *conv = job->conv + at;
  *act = job->act_out ? job->act_out + at : NULL;
}

#if defined(__GNUC__)
#define VL 4
#define SUFFIX portable
#define TARGET
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET

#if defined(__x86_64__) || defined(__i386__)
#define CFM_HAVE_X86 1
#define VL 8
#define SUFFIX avx2
#define TARGET __attribute__ ((target ("avx2,fma")))
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET

#define VL 16
#define SUFFIX avx512
#define TARGET __attribute__ ((target ("avx512f,fma")))
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET
#endif
#endif

static int
vector_width (CfmPath path)
{
  return path == CFM_PATH_AVX512 ? 16 : path == CFM_PATH_AVX2 ? 8 : 4;
}

int
cfm_conv_fast_eligible (const CfmBank *bank, const CfmConvParams *p,
                        int out_w, CfmPath path)
{
#if defined(__GNUC__)
  int block = (bank->n <= 4 ? 4 : 2) * vector_width (path);

  return p->stride == 1 && out_w >= block
         && bank->c * bank->kh <= CFM_FAST_MAX_ROWS;
#else
  (void) bank; (void) p; (void) out_w; (void) path;
  return 0;
#endif
}

typedef struct
{
  const FastJob *job;
  CfmPath        path;
  int            r0, r1;
} Slice;

static void *
run_slice (void *data)
{
  const Slice *s = data;

#if defined(__GNUC__)
#if defined(CFM_HAVE_X86)
  if (s->path == CFM_PATH_AVX512)
    rows_avx512 (s->job, s->r0, s->r1);
  else if (s->path == CFM_PATH_AVX2)
    rows_avx2 (s->job, s->r0, s->r1);
  else
#endif
    rows_portable (s->job, s->r0, s->r1);
#endif
  return NULL;
}

/* Copies the band into padded rows of width w + 2 * padding. */
static void
pad_band (const CfmBand *in, int padding, CfmPadMode mode, float *dst)
{
  int pw = in->w + 2 * padding, ch, r;

  for (ch = 0; ch < in->c; ch++)
    for (r = 0; r < in->rows; r++)
      cfm_pad_row (in->data + ((size_t) ch * in->rows + r) * in->w, in->w,
                   padding, mode, dst + ((size_t) ch * in->rows + r) * pw);
}

/* Packs the weights filter-group-major and tap-minor (see FastJob). */
static int
pack_weights (FastJob *job, const CfmBank *bank, const float *bias,
              float **packed, float **pbias)
{
  int nf = job->groups * job->group, f, t;

  *packed = calloc ((size_t) nf * job->taps, sizeof (float));
  *pbias = calloc ((size_t) nf, sizeof (float));
  job->tap_row = malloc ((size_t) job->taps * sizeof (int));
  job->tap_col = malloc ((size_t) job->taps * sizeof (int));
  if (!*packed || !*pbias || !job->tap_row || !job->tap_col)
    return 0;
  for (f = 0; f < bank->n; f++)
    {
      int g0 = f / job->group * job->group;

      for (t = 0; t < job->taps; t++)
        (*packed)[(size_t) g0 * job->taps + (size_t) t * job->group
                  + (f - g0)] = bank->weights[(size_t) f * job->taps + t];
      (*pbias)[f] = bias ? bias[f] : 0.0f;
    }
  for (t = 0; t < job->taps; t++)
    {
      int kx = t % bank->kw, row = t / bank->kw;   /* row = ch * kh + ky */

      job->tap_row[t] = row;
      job->tap_col[t] = kx * job->dilation;
    }
  return 1;
}

CfmStatus
cfm_conv_fast_forward (const CfmBank *bank, const float *bias,
                       const CfmBand *in, const CfmConvParams *p, int out_w,
                       int row0, int rows, float *conv, float *act,
                       size_t plane_stride, CfmActivation activation,
                       float slope, CfmPath path, int threads, CfmError *err)
{
  FastJob job;
  float *padded, *zero, *dummy, *packed = NULL, *pbias = NULL;
  Slice slices[64];
  pthread_t tids[64];
  int nt, i, ok;

  memset (&job, 0, sizeof job);
  job.group = bank->n <= 4 ? 4 : 8;
  job.groups = (bank->n + job.group - 1) / job.group;
  job.n = bank->n;
  job.taps = bank->c * bank->kh * bank->kw;
  job.c = bank->c;
  job.kh = bank->kh;
  job.kw = bank->kw;
  job.dilation = p->dilation;
  job.padding = p->padding;
  job.stride = p->stride;
  job.pad_mode = p->pad_mode;
  job.pw = in->w + 2 * p->padding;
  job.band_row0 = in->row0;
  job.band_rows = in->rows;
  job.in_h = in->h;
  job.row0 = row0;
  job.out_w = out_w;
  job.conv = conv;
  job.act_out = act;
  job.plane_stride = plane_stride;
  job.act = activation;
  job.slope = slope;

  /* Without padding the band's own rows serve as they are. */
  padded = p->padding == 0 ? NULL
           : malloc (((size_t) in->c * in->rows + 1) * job.pw
                     * sizeof (float));
  zero = calloc ((size_t) job.pw, sizeof (float));
  dummy = malloc ((size_t) out_w * sizeof (float));
  ok = (padded || p->padding == 0) && zero && dummy
       && pack_weights (&job, bank, bias, &packed, &pbias);
  if (ok)
    {
      if (padded)
        pad_band (in, p->padding, p->pad_mode, padded);
      job.padded = padded ? padded : in->data;
      job.zero_row = zero;
      job.dummy = dummy;
      job.packed = packed;
      job.bias = pbias;
      nt = cfm_thread_count (threads, rows < 64 ? (rows > 0 ? rows : 1) : 64);
      for (i = 0; i < nt; i++)
        {
          slices[i].job = &job;
          slices[i].path = path;
          slices[i].r0 = (int) ((long long) rows * i / nt);
          slices[i].r1 = (int) ((long long) rows * (i + 1) / nt);
        }
      for (i = 1; i < nt; i++)
        if (pthread_create (&tids[i], NULL, run_slice, &slices[i]) != 0)
          {
            run_slice (&slices[i]);   /* no thread: do it here */
            tids[i] = pthread_self ();
          }
      run_slice (&slices[0]);
      for (i = 1; i < nt; i++)
        if (!pthread_equal (tids[i], pthread_self ()))
          pthread_join (tids[i], NULL);
    }
  free (padded);
  free (zero);
  free (dummy);
  free (packed);
  free (pbias);
  free (job.tap_row);
  free (job.tap_col);
  if (!ok)
    return cfm_error_set (err, CFM_ERR_NOMEM,
                          "out of memory for a band of %d rows", in->rows);
  return CFM_OK;
}
