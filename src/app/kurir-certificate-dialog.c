/* kurir-certificate-dialog.c: the question about an untrusted certificate
 *
 * Nothing was sent to the server yet. The dialog shows what the person
 * needs to decide (host and port, the reason, issuer, validity and the
 * SHA-256 fingerprint to compare with what the provider publishes) and
 * answers with a response id; the caller pins ("always") or retries with
 * the certificate accepted once ("once").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-app"

#include "config.h"

#include <glib/gi18n.h>

#include "kurir-certificate-dialog.h"
#include "kurir-trust.h"

struct _KurirCertificateDialog
{
  AdwMessageDialog  parent_instance;

  GtkLabel         *details_label;
  char             *details;
};

G_DEFINE_FINAL_TYPE (KurirCertificateDialog, kurir_certificate_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* Overrides */

static void
kurir_certificate_dialog_finalize (GObject *object)
{
  KurirCertificateDialog *self = KURIR_CERTIFICATE_DIALOG (object);

  g_free (self->details);
  G_OBJECT_CLASS (kurir_certificate_dialog_parent_class)->finalize (object);
}

static void
kurir_certificate_dialog_class_init (KurirCertificateDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = kurir_certificate_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/kurir/Kurir/kurir-certificate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KurirCertificateDialog, details_label);
}

static void
kurir_certificate_dialog_init (KurirCertificateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API */

KurirCertificateDialog *
kurir_certificate_dialog_new (GtkWindow                   *parent,
                              const KurirLoginCertificate *info)
{
  KurirCertificateDialog *self;
  g_autofree char *body = NULL;

  g_return_val_if_fail (info != NULL, NULL);

  self = g_object_new (KURIR_TYPE_CERTIFICATE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->details = kurir_trust_describe_certificate (info->host, info->port,
                                                    info->certificate, info->errors);
  gtk_label_set_text (self->details_label, self->details);

  body = g_strdup_printf (_("Kurir cannot confirm that %s:%u is the server it claims to be, "
                            "so nothing was sent to it. Someone may be trying to read your mail. "
                            "Trust the certificate only if its fingerprint matches the one "
                            "your provider publishes."),
                          info->host, info->port);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);

  /* "Always" pins only this exact certificate; without one, nothing to pin. */
  if (info->certificate == NULL)
    {
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "once", FALSE);
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "always", FALSE);
    }
  return self;
}

const char *
kurir_certificate_dialog_get_details (KurirCertificateDialog *self)
{
  g_return_val_if_fail (KURIR_IS_CERTIFICATE_DIALOG (self), NULL);
  return self->details;
}
