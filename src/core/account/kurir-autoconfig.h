/* kurir-autoconfig.h: finding an address's mail servers: the provider
 * table, the domain's autoconfig file (Thunderbird's config-v1.1), DNS SRV
 * (RFC 6186, 8314) and probing likely hosts, all at once, best first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kurir-account.h"
#include "net/kurir-connection.h"

G_BEGIN_DECLS

/* Where a setting came from, most trusted first. */
typedef enum {
  KURIR_DISCOVERY_SOURCE_PROVIDER   = 1 << 0,  /* the table shipped with Kurir */
  KURIR_DISCOVERY_SOURCE_AUTOCONFIG = 1 << 1,  /* the domain's config-v1.1.xml over HTTPS */
  KURIR_DISCOVERY_SOURCE_SRV        = 1 << 2,  /* DNS SRV records */
  KURIR_DISCOVERY_SOURCE_PROBE      = 1 << 3,  /* a likely host answered */
} KurirDiscoverySource;

#define KURIR_DISCOVERY_SOURCE_ALL (KURIR_DISCOVERY_SOURCE_PROVIDER | \
                                    KURIR_DISCOVERY_SOURCE_AUTOCONFIG | \
                                    KURIR_DISCOVERY_SOURCE_SRV | \
                                    KURIR_DISCOVERY_SOURCE_PROBE)

/* One server for one protocol. */
typedef struct
{
  KurirProtocol         protocol;    /* IMAP, POP3 or SMTP */
  char                 *host;
  guint16               port;
  KurirSecurity         security;
  char                 *user;        /* the login name, NULL: the address */
  KurirDiscoverySource  source;
  guint                 priority;    /* order within its source, lower first */
  gboolean              verified;    /* a probe reached it and it answered */
  /* A probe met a certificate that does not validate: ask the user. */
  GTlsCertificate      *certificate;
  GTlsCertificateFlags  certificate_errors;
} KurirServerSetting;

#define KURIR_TYPE_SERVER_SETTING (kurir_server_setting_get_type ())
GType               kurir_server_setting_get_type (void) G_GNUC_CONST;
KurirServerSetting *kurir_server_setting_new      (KurirProtocol        protocol,
                                                   const char          *host,
                                                   guint16              port,
                                                   KurirSecurity        security,
                                                   const char          *user,
                                                   KurirDiscoverySource source);
KurirServerSetting *kurir_server_setting_copy     (const KurirServerSetting *setting);
void                kurir_server_setting_free     (KurirServerSetting  *setting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirServerSetting, kurir_server_setting_free)

/* Best first: encrypted above plaintext always, then by source (provider,
 * autoconfig, SRV, probe), then implicit TLS above STARTTLS, then priority. */
int                 kurir_server_setting_compare  (const KurirServerSetting *a,
                                                   const KurirServerSetting *b);
void                kurir_server_settings_sort    (GPtrArray           *settings);

/* %EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN% in @template. */
char               *kurir_autoconfig_expand_user  (const char          *template_,
                                                   const char          *email);
/* The domain of @email (lower case), or NULL when it is not an address. */
char               *kurir_autoconfig_email_domain (const char          *email);

#define KURIR_AUTOCONFIG_MAX_SIZE (256 * 1024)

/* Parses a Thunderbird config-v1.1 document (at most MAX_SIZE bytes, no
 * DTD, no entities, no network). Servers that need OAuth2 or another login
 * Kurir cannot do, or that are malformed, are left out.
 * Returns: (element-type KurirServerSetting): the servers, file order. */
GPtrArray          *kurir_autoconfig_parse        (const char          *data,
                                                   gsize                length,
                                                   const char          *email,
                                                   GError             **error);

/* GET https://HOST:PORT/PATH (the autoconfig file): TLS only, bounded in
 * size and time, no redirects. @database: NULL for the system's anchors. */
void                kurir_autoconfig_fetch_async  (const char          *host,
                                                   guint16              port,
                                                   const char          *path,
                                                   GTlsDatabase        *database,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GBytes             *kurir_autoconfig_fetch_finish (GAsyncResult        *result,
                                                   GError             **error);

/* What a discovery found. */
typedef struct
{
  GPtrArray *settings;   /* KurirServerSetting, best first */
  char      *provider;   /* the provider's name when the table knew it */
} KurirDiscovery;

void                kurir_discovery_free          (KurirDiscovery      *discovery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KurirDiscovery, kurir_discovery_free)
/* The best setting for @protocol, or NULL. */
const KurirServerSetting *kurir_discovery_get_best (KurirDiscovery     *discovery,
                                                    KurirProtocol       protocol);
/* TRUE when the best for @protocol has no encryption: the user must be
 * warned and explicitly allow plaintext. */
gboolean            kurir_discovery_needs_plaintext_warning (KurirDiscovery *discovery,
                                                             KurirProtocol   protocol);

#define KURIR_TYPE_AUTOCONFIG (kurir_autoconfig_get_type ())
G_DECLARE_FINAL_TYPE (KurirAutoconfig, kurir_autoconfig, KURIR, AUTOCONFIG, GObject)

KurirAutoconfig    *kurir_autoconfig_new          (const char          *email);
/* Which sources to ask (default: all). */
void                kurir_autoconfig_set_sources  (KurirAutoconfig     *self,
                                                   KurirDiscoverySource sources);
/* Replaces the probe targets derived from the domain (for tests, or a
 * host the user typed): each is asked for CAPABILITY, CAPA or EHLO. */
void                kurir_autoconfig_add_probe_target (KurirAutoconfig *self,
                                                       KurirProtocol    protocol,
                                                       const char      *host,
                                                       guint16          port,
                                                       KurirSecurity    security);
/* Extra trust anchors for probes (PEM), as an account's CA file. */
void                kurir_autoconfig_set_ca_file  (KurirAutoconfig     *self,
                                                   const char          *ca_file);
/* Seconds the whole discovery may take (default: 20). */
void                kurir_autoconfig_set_timeout  (KurirAutoconfig     *self,
                                                   guint                seconds);

void                kurir_autoconfig_discover_async  (KurirAutoconfig     *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
KurirDiscovery     *kurir_autoconfig_discover_finish (KurirAutoconfig     *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* The SRV part alone (RFC 6186 and 8314 service names), through the
 * default GResolver. Returns: (element-type KurirServerSetting). */
void                kurir_autoconfig_lookup_srv_async  (const char          *domain,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *kurir_autoconfig_lookup_srv_finish (GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
