/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_text.h: the print(model) text's lines and printed modules as
 * the graph's text reader (graph/cfm_graph_text.c) reads them (internal to
 * the core; the chain's reader is cfm_network_text.c, which owns them). */
#ifndef CFM_NETWORK_TEXT_H
#define CFM_NETWORK_TEXT_H

#include <stddef.h>

#include "cfm_module.h"

/* Most bytes a line of the text may have. */
#define CFM_TEXT_LINE_MAX 4096

/* One line: "(name): Type(args)" (a leaf), "(name): Type(" (a container
 * opens: OPENS), "Type(" (the top one), or ")" (CLOSES). */
typedef struct
{
  char *name, *type, *args;   /* in the line itself; NAME NULL at the top */
  int   opens, closes;
} CfmTextLine;

/* Splits LINE (changed in place) into OUT: 1, 0 for an empty line, -1
 * for a line print(model) does not write. */
int cfm_text_split_line (char *line, CfmTextLine *out);

/* Module M (its name and type set) from its argument text ARGS (changed
 * in place), as the chain reads it; *USABLE 0 when the chain's modules
 * have no such kind or these settings. */
CfmStatus cfm_text_read_module (CfmModule *m, char *args, int *usable,
                                CfmError *err);

/* Argument KEY (or the POSITION-th positional one, -1 none) of argument
 * text TEXT: a number, or DEF. */
double cfm_text_number (const char *text, const char *key, int position,
                        double def);

/* A pair (rows, columns), a single number giving both; DEF when absent
 * (0 returned). */
int cfm_text_pair (const char *text, const char *key, int position, int def,
                   int out[2]);

/* A True / False argument, DEF when absent. */
int cfm_text_flag (const char *text, const char *key, int def);

/* Whether TEXT has argument KEY. */
int cfm_text_has (const char *text, const char *key);

/* The numbers of argument KEY (or the POSITION-th positional one) into
 * OUT: their count, 1 for a single number, up to 4 for a tuple; 0 when
 * absent. */
int cfm_text_tuple (const char *text, const char *key, int position,
                    double out[4]);

/* The word of argument KEY (or the POSITION-th positional one), quotes
 * taken off, into OUT (SIZE bytes): 0 when absent or a number. */
int cfm_text_word (const char *text, const char *key, int position, char *out,
                   size_t size);

#endif
