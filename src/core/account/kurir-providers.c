/* kurir-providers.c: the well-known mail providers, compiled in
 *
 * Only settings the providers publish for mail clients. Security is
 * implicit TLS or STARTTLS, never plaintext. User names are templates as in
 * Thunderbird's ISPDB (%EMAILADDRESS%, %EMAILLOCALPART%).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kurir-account"

#include "config.h"

#include <string.h>

#include "kurir-providers.h"

typedef struct
{
  KurirProtocol  protocol;
  const char    *host;
  guint16        port;
  KurirSecurity  security;
  const char    *user;
} ProviderServer;

typedef struct
{
  const char           *name;
  const char * const   *domains;
  const ProviderServer *servers;  /* ends with host == NULL */
} Provider;

#define ADDR "%EMAILADDRESS%"
#define LOCAL "%EMAILLOCALPART%"
#define IMAP(h, u) { KURIR_PROTOCOL_IMAP, h, 993, KURIR_SECURITY_TLS, u }
#define POP3(h, u) { KURIR_PROTOCOL_POP3, h, 995, KURIR_SECURITY_TLS, u }
#define SMTPS(h, u) { KURIR_PROTOCOL_SMTP, h, 465, KURIR_SECURITY_TLS, u }
#define SUBMISSION(h, u) { KURIR_PROTOCOL_SMTP, h, 587, KURIR_SECURITY_STARTTLS, u }
#define END { 0, NULL, 0, 0, NULL }

static const char * const gmail_domains[] = { "gmail.com", "googlemail.com", NULL };
static const ProviderServer gmail_servers[] = {
  IMAP ("imap.gmail.com", ADDR), POP3 ("pop.gmail.com", ADDR),
  SMTPS ("smtp.gmail.com", ADDR), SUBMISSION ("smtp.gmail.com", ADDR), END
};

static const char * const outlook_domains[] = {
  "outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
  "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es",
  "live.co.uk", "live.fr", "live.de", "live.it", "outlook.de", "outlook.fr",
  "outlook.es", "outlook.it", NULL
};
static const ProviderServer outlook_servers[] = {
  IMAP ("outlook.office365.com", ADDR), POP3 ("outlook.office365.com", ADDR),
  SUBMISSION ("smtp-mail.outlook.com", ADDR), END
};

static const char * const yahoo_domains[] = {
  "yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr",
  "yahoo.de", "yahoo.it", "yahoo.es", "yahoo.ca", "yahoo.co.jp", NULL
};
static const ProviderServer yahoo_servers[] = {
  IMAP ("imap.mail.yahoo.com", ADDR), POP3 ("pop.mail.yahoo.com", ADDR),
  SMTPS ("smtp.mail.yahoo.com", ADDR), END
};

static const char * const icloud_domains[] = { "icloud.com", "me.com", "mac.com", NULL };
static const ProviderServer icloud_servers[] = {
  /* iCloud offers no POP3. */
  IMAP ("imap.mail.me.com", LOCAL), SUBMISSION ("smtp.mail.me.com", ADDR), END
};

static const char * const fastmail_domains[] = {
  "fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "fastmail.us",
  "fastmail.cn", "fastmail.de", "fastmail.es", "fastmail.fr", "fastmail.in",
  "fastmail.it", "fastmail.jp", "fastmail.mx", "fastmail.to", NULL
};
static const ProviderServer fastmail_servers[] = {
  IMAP ("imap.fastmail.com", ADDR), POP3 ("pop.fastmail.com", ADDR),
  SMTPS ("smtp.fastmail.com", ADDR), END
};

static const char * const gmx_net_domains[] = { "gmx.net", "gmx.de", "gmx.at", "gmx.ch", NULL };
static const ProviderServer gmx_net_servers[] = {
  IMAP ("imap.gmx.net", ADDR), POP3 ("pop.gmx.net", ADDR),
  SMTPS ("mail.gmx.net", ADDR), SUBMISSION ("mail.gmx.net", ADDR), END
};

static const char * const gmx_com_domains[] = { "gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr", "gmx.es", NULL };
static const ProviderServer gmx_com_servers[] = {
  IMAP ("imap.gmx.com", ADDR), POP3 ("pop.gmx.com", ADDR),
  SMTPS ("mail.gmx.com", ADDR), SUBMISSION ("mail.gmx.com", ADDR), END
};

static const char * const webde_domains[] = { "web.de", NULL };
static const ProviderServer webde_servers[] = {
  IMAP ("imap.web.de", ADDR), POP3 ("pop3.web.de", ADDR),
  SUBMISSION ("smtp.web.de", ADDR), END
};

static const char * const zoho_domains[] = { "zoho.com", "zohomail.com", NULL };
static const ProviderServer zoho_servers[] = {
  IMAP ("imap.zoho.com", ADDR), POP3 ("pop.zoho.com", ADDR),
  SMTPS ("smtp.zoho.com", ADDR), SUBMISSION ("smtp.zoho.com", ADDR), END
};

static const char * const aol_domains[] = { "aol.com", "aim.com", NULL };
static const ProviderServer aol_servers[] = {
  IMAP ("imap.aol.com", ADDR), POP3 ("pop.aol.com", ADDR),
  SMTPS ("smtp.aol.com", ADDR), END
};

static const char * const yandex_domains[] = {
  "yandex.ru", "yandex.com", "ya.ru", "yandex.by", "yandex.kz", "yandex.ua", NULL
};
static const ProviderServer yandex_servers[] = {
  IMAP ("imap.yandex.com", ADDR), POP3 ("pop.yandex.com", ADDR),
  SMTPS ("smtp.yandex.com", ADDR), END
};

static const char * const mailru_domains[] = { "mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru", NULL };
static const ProviderServer mailru_servers[] = {
  IMAP ("imap.mail.ru", ADDR), POP3 ("pop.mail.ru", ADDR),
  SMTPS ("smtp.mail.ru", ADDR), END
};

static const char * const posteo_domains[] = { "posteo.de", "posteo.net", NULL };
static const ProviderServer posteo_servers[] = {
  IMAP ("posteo.de", ADDR), POP3 ("posteo.de", ADDR),
  SMTPS ("posteo.de", ADDR), SUBMISSION ("posteo.de", ADDR), END
};

static const char * const mailbox_org_domains[] = { "mailbox.org", NULL };
static const ProviderServer mailbox_org_servers[] = {
  IMAP ("imap.mailbox.org", ADDR), POP3 ("pop3.mailbox.org", ADDR),
  SMTPS ("smtp.mailbox.org", ADDR), SUBMISSION ("smtp.mailbox.org", ADDR), END
};

static const Provider providers[] = {
  { "Gmail", gmail_domains, gmail_servers },
  { "Outlook.com", outlook_domains, outlook_servers },
  { "Yahoo Mail", yahoo_domains, yahoo_servers },
  { "iCloud Mail", icloud_domains, icloud_servers },
  { "Fastmail", fastmail_domains, fastmail_servers },
  { "GMX", gmx_net_domains, gmx_net_servers },
  { "GMX", gmx_com_domains, gmx_com_servers },
  { "WEB.DE", webde_domains, webde_servers },
  { "Zoho Mail", zoho_domains, zoho_servers },
  { "AOL Mail", aol_domains, aol_servers },
  { "Yandex Mail", yandex_domains, yandex_servers },
  { "Mail.ru", mailru_domains, mailru_servers },
  { "Posteo", posteo_domains, posteo_servers },
  { "mailbox.org", mailbox_org_domains, mailbox_org_servers },
};

/* Helpers */

static const Provider *
find_provider (const char *email_or_domain)
{
  g_autofree char *domain = NULL;

  if (email_or_domain == NULL)
    return NULL;

  if (strchr (email_or_domain, '@') != NULL)
    domain = kurir_autoconfig_email_domain (email_or_domain);
  else
    domain = g_ascii_strdown (email_or_domain, -1);
  if (domain == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (providers); i++)
    if (g_strv_contains ((const char * const *) providers[i].domains, domain))
      return &providers[i];

  return NULL;
}

/* Public API */

const char *
kurir_providers_lookup_name (const char *email_or_domain)
{
  const Provider *provider = find_provider (email_or_domain);

  return provider ? provider->name : NULL;
}

GPtrArray *
kurir_providers_lookup (const char *email_or_domain)
{
  const Provider *provider = find_provider (email_or_domain);
  gboolean is_email;
  GPtrArray *settings;

  if (provider == NULL)
    return NULL;

  is_email = strchr (email_or_domain, '@') != NULL;
  settings = g_ptr_array_new_with_free_func ((GDestroyNotify) kurir_server_setting_free);
  for (guint i = 0; provider->servers[i].host != NULL; i++)
    {
      const ProviderServer *server = &provider->servers[i];
      g_autofree char *user = NULL;
      KurirServerSetting *setting;

      if (is_email)
        user = kurir_autoconfig_expand_user (server->user, email_or_domain);
      setting = kurir_server_setting_new (server->protocol, server->host, server->port,
                                          server->security, user,
                                          KURIR_DISCOVERY_SOURCE_PROVIDER);
      setting->priority = i;
      g_ptr_array_add (settings, setting);
    }

  return settings;
}
