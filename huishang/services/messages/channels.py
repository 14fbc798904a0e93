"""The two outbound channels and how each reaches its provider.

- **E-mail** over SMTP (`SMTP_HOST`, `SMTP_PORT`, `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_STARTTLS`,
  `SMTP_SSL`, `MAIL_FROM`): any mail server the district runs or rents.
- **SMS** through Alibaba Cloud's 短信服务 `SendSms` API (dysmsapi, version 2017-05-25, RPC signature
  v1: HMAC-SHA1 over the sorted, percent-encoded parameters, key = AccessKey secret + "&"), configured
  by `SMS_ACCESS_KEY_ID`, `SMS_ACCESS_KEY_SECRET`, `SMS_SIGN_NAME` (the approved 签名) and
  `SMS_TEMPLATES` (kind → approved template code, each template using `${title}` and `${detail}`).
  `SMS_ENDPOINT` defaults to https://dysmsapi.aliyuncs.com/; the suite points it at a local stand-in
  that checks the signature, since the provider is outside.

A channel that is not configured is off: nothing is queued for it. `send` raises `SendError` with a
reason in words; the delivery job retries it later.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

SMS_DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
SMS_TIMEOUT = 10  # seconds
SMTP_TIMEOUT = 20


class SendError(Exception):
    """A message that could not be handed to the provider (the reason, in words)."""


def email_enabled(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def sms_enabled(config) -> bool:
    return bool(config.get("SMS_ACCESS_KEY_ID") and config.get("SMS_ACCESS_KEY_SECRET")
                and config.get("SMS_SIGN_NAME"))


def sms_template(config, kind: str) -> str | None:
    templates = config.get("SMS_TEMPLATES") or {}
    if isinstance(templates, str):
        try:
            templates = json.loads(templates)
        except ValueError:
            templates = {}
    return templates.get(kind) or templates.get("default")


def enabled(config, channel: str, kind: str) -> bool:
    if channel == "email":
        return email_enabled(config)
    return sms_enabled(config) and sms_template(config, kind) is not None


# -- e-mail -----------------------------------------------------------------------------------------

def send_email(config, to: str, subject: str, body: str) -> str:
    """Hand one message to the SMTP server; returns its Message-ID."""
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or f"huishang@{config.get('SMTP_HOST')}"
    message["To"] = to
    message["Subject"] = subject
    message_id = f"<{uuid.uuid4().hex}@huishang>"
    message["Message-ID"] = message_id
    message.set_content(body or subject)
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25)
    try:
        if config.get("SMTP_SSL"):
            server = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with server:
            if config.get("SMTP_STARTTLS") and not config.get("SMTP_SSL"):
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"邮件服务器未接收：{exc.__class__.__name__}: {exc}"[:300]) from exc
    return message_id


# -- SMS (Alibaba Cloud dysmsapi SendSms) -------------------------------------------------------------

def _percent(value: str) -> str:
    """Alibaba Cloud's POP encoding: RFC 3986, with ~ kept and spaces as %20."""
    return urllib.parse.quote(value, safe="~")


def sign_sms(params: dict, secret: str, method: str = "POST") -> str:
    """The RPC v1 signature of `params` (without Signature)."""
    canonical = "&".join(f"{_percent(k)}={_percent(str(v))}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sms_request(config, phone: str, template: str, params: dict, out_id: str) -> dict:
    """The signed form a SendSms POST carries (exposed for the stand-in's tests)."""
    form = {
        "AccessKeyId": config["SMS_ACCESS_KEY_ID"],
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": out_id,
        "PhoneNumbers": phone,
        "SignName": config["SMS_SIGN_NAME"],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": template,
        "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    form["Signature"] = sign_sms(form, config["SMS_ACCESS_KEY_SECRET"])
    return form


def send_sms(config, phone: str, kind: str, params: dict, out_id: str) -> str:
    """Send one SMS; returns the provider's BizId."""
    template = sms_template(config, kind)
    if template is None:
        raise SendError(f"未配置“{kind}”的短信模板")
    form = sms_request(config, phone, template, params, out_id)
    data = urllib.parse.urlencode(form).encode()
    endpoint = config.get("SMS_ENDPOINT") or SMS_DEFAULT_ENDPOINT
    if not endpoint.startswith(("https://", "http://")):
        raise SendError("短信服务地址须为 http(s) 地址")
    request = urllib.request.Request(endpoint, data=data, method="POST",  # noqa: S310 (scheme checked above)
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=SMS_TIMEOUT) as response:  # noqa: S310 (configured https URL)
            answer = json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read().decode() or "{}")
        except ValueError:
            raise SendError(f"短信服务返回 HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise SendError(f"短信服务无法连接：{exc}"[:300]) from exc
    if answer.get("Code") != "OK":
        raise SendError(f"短信服务拒绝：{answer.get('Code')} {answer.get('OutboundMessage', '')}"[:300])
    return str(answer.get("BizId") or "")
