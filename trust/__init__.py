"""Trust: second factors now; the CA, device certificates, VPN numbers and disaster mode later."""
