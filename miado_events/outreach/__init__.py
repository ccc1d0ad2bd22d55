"""Writing to the MSOs: office news to all listed MSOs or a filtered set
(district, region of origin, language, field of work), to their
representatives and to the contact address of each MSO that agreed; each
address once, in the recipient's language where a translation is given;
archived as a mailing. Such mail carries ``List-Unsubscribe`` with one-click
unsubscribe (RFC 8058); mail about one's own registrations never does.

* ``audience``    – who receives a mailing (filters, dedupe, opt-outs),
* ``unsubscribe`` – the secret unsubscribe links and the mail headers,
* ``services``    – send a mailing, opt out and in again,
* ``views``       – compose, preview, send, archive; the unsubscribe page.
"""
