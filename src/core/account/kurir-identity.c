/* kurir-identity.c: who a message is sent as
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <string.h>

#include "kurir-account.h"
#include "kurir-identity.h"

G_DEFINE_BOXED_TYPE (KurirIdentity, kurir_identity, kurir_identity_copy, kurir_identity_free)

static char *
dup_nonempty (const char *str)
{
  return str != NULL && *str != '\0' ? g_strdup (str) : NULL;
}

KurirIdentity *
kurir_identity_new (const char *name,
                    const char *address)
{
  KurirIdentity *self = g_new0 (KurirIdentity, 1);

  self->name = dup_nonempty (name);
  self->address = g_strdup (address != NULL ? address : "");
  return self;
}

KurirIdentity *
kurir_identity_copy (const KurirIdentity *self)
{
  KurirIdentity *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = kurir_identity_new (self->name, self->address);
  copy->reply_to = dup_nonempty (self->reply_to);
  copy->signature = dup_nonempty (self->signature);
  return copy;
}

void
kurir_identity_free (KurirIdentity *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->address);
  g_free (self->reply_to);
  g_free (self->signature);
  g_free (self);
}

gboolean
kurir_identity_equal (const KurirIdentity *a,
                      const KurirIdentity *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->address, b->address) == 0 &&
         g_strcmp0 (a->reply_to, b->reply_to) == 0 &&
         g_strcmp0 (a->signature, b->signature) == 0;
}

static gboolean
needs_quotes (const char *name)
{
  /* RFC 5322 atext plus spaces between atoms; anything else is quoted. */
  for (const char *p = name; *p; p++)
    {
      guchar c = (guchar) *p;

      if (g_ascii_isalnum (c) || c >= 0x80 || c == ' ' || strchr ("!#$%&'*+-/=?^_`{|}~", c))
        continue;
      return TRUE;
    }
  return FALSE;
}

char *
kurir_identity_to_string (const KurirIdentity *self)
{
  GString *str;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->name == NULL)
    return g_strdup (self->address);

  str = g_string_new (NULL);
  if (needs_quotes (self->name))
    {
      g_string_append_c (str, '"');
      for (const char *p = self->name; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (str, '\\');
          g_string_append_c (str, *p);
        }
      g_string_append_c (str, '"');
    }
  else
    g_string_append (str, self->name);
  g_string_append_printf (str, " <%s>", self->address);
  return g_string_free (str, FALSE);
}

static gboolean
has_control (const char *str)
{
  for (const char *p = str; *p; p++)
    if (g_ascii_iscntrl (*p))
      return TRUE;
  return FALSE;
}

/**
 * kurir_identity_address_is_valid:
 *
 * Whether @address can stand as one address in a header: valid UTF-8,
 * something on both sides of its last "@", and none of the characters
 * that would split it or let it inject (controls, space, <, >, comma,
 * double quote).
 */
gboolean
kurir_identity_address_is_valid (const char *address)
{
  const char *at;

  if (address == NULL || !g_utf8_validate (address, -1, NULL))
    return FALSE;
  at = strrchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0')
    return FALSE;
  for (const char *p = address; *p; p++)
    if (g_ascii_iscntrl (*p) || *p == ' ' || *p == '<' || *p == '>' || *p == ',' || *p == '"')
      return FALSE;
  return TRUE;
}

/**
 * kurir_identity_check:
 *
 * An identity is usable when its address and reply-to are single
 * addresses and its name holds no line breaks or control characters
 * (which would let a name inject headers). The signature may hold line
 * breaks, but no other control characters than tabs.
 */
gboolean
kurir_identity_check (const KurirIdentity  *self,
                      GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!kurir_identity_address_is_valid (self->address))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "“%s” is not an email address", self->address ? self->address : "");
      return FALSE;
    }
  if (self->reply_to != NULL && !kurir_identity_address_is_valid (self->reply_to))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The reply-to “%s” is not an email address", self->reply_to);
      return FALSE;
    }
  if (self->name != NULL && (!g_utf8_validate (self->name, -1, NULL) || has_control (self->name)))
    {
      g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                   "The name of %s holds line breaks or control characters", self->address);
      return FALSE;
    }
  if (self->signature != NULL)
    {
      if (!g_utf8_validate (self->signature, -1, NULL))
        {
          g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                       "The signature of %s is not valid UTF-8", self->address);
          return FALSE;
        }
      for (const char *p = self->signature; *p; p++)
        if (g_ascii_iscntrl (*p) && *p != '\n' && *p != '\t' && *p != '\r')
          {
            g_set_error (error, KURIR_ACCOUNT_ERROR, KURIR_ACCOUNT_ERROR_INVALID,
                         "The signature of %s holds control characters", self->address);
            return FALSE;
          }
    }
  return TRUE;
}
